// "Only differences" hides the rows whose two values are equal.
(function () {
  "use strict";
  var box = document.getElementById("only-differences");
  if (!box) { return; }
  box.addEventListener("change", function () {
    document.querySelectorAll("#diff tr.same").forEach(function (tr) { tr.hidden = box.checked; });
  });
})();
