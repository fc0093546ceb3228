// Reload a page that shows work still running (a queued export) every 3 seconds; without
// JavaScript the page has a "Refresh" link instead.
setTimeout(function () { window.location.reload(); }, 3000);
