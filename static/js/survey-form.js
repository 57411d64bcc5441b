// Survey form: after a failed submit, focus the error summary (in case autofocus did not), and make its links land
// on the field with the question's label and error in view rather than scrolled just out of sight.
(function () {
  'use strict';
  var summary = document.getElementById('error-summary');
  if (!summary) return;
  if (document.activeElement !== summary) summary.focus();
  summary.addEventListener('click', function (event) {
    var link = event.target.closest('a[href^="#"]');
    var field = link && document.getElementById(link.getAttribute('href').slice(1));
    if (!field) return;
    event.preventDefault();
    (field.closest('.question') || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
