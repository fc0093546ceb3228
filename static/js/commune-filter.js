/* Type-to-filter for long commune lists (select[data-filter]): progressive enhancement.
   Without JavaScript the grouped <select> still works; with it, a search box above the list
   hides the communes (and districts) that do not match, ignoring case and Vietnamese accents. */
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase().trim();
  }

  function enhance(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "commune-filter";
    box.id = select.id + "_filter";
    box.setAttribute("autocomplete", "off");
    box.setAttribute("placeholder", select.getAttribute("data-filter-placeholder") || "");
    box.setAttribute("aria-label", select.getAttribute("data-filter-label") || "");
    box.setAttribute("aria-controls", select.id);
    select.parentNode.insertBefore(box, select);

    var options = Array.prototype.slice.call(select.options).map(function (option) {
      var group = option.parentNode.tagName === "OPTGROUP" ? option.parentNode.label : "";
      return { option: option, key: fold(option.text + " " + group) };
    });

    box.addEventListener("input", function () {
      var wanted = fold(box.value);
      var shown = [];
      options.forEach(function (item) {
        var match = !wanted || item.option.value === "" || item.key.indexOf(wanted) !== -1;
        item.option.hidden = !match;
        if (match && item.option.value !== "") { shown.push(item.option); }
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        group.hidden = !Array.prototype.some.call(group.children, function (o) { return !o.hidden; });
      });
      // While filtering, show the matches as an open list; one match is chosen at once.
      select.size = wanted ? Math.max(2, Math.min(8, shown.length + 1)) : 0;
      if (shown.length === 1) { shown[0].selected = true; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-filter]"), enhance);
  });
})();
