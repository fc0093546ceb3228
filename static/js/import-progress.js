// The import page while an import runs: reload it every two seconds so its progress bar
// moves (without JavaScript, the page's "Refresh" link does the same by hand).
"use strict";
if (document.querySelector("[data-import-running]")) {
  window.setTimeout(() => window.location.reload(), 2000);
}
