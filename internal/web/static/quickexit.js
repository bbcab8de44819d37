// Quick exit for the public self-referral page. The button is a plain link
// to a neutral website, so it works without JavaScript; with it, a click,
// the Escape key or Shift pressed three times (each within a second of the
// last) blanks this page and replaces it with the neutral site, using
// location.replace so this page is not left behind the Back button (as far
// as the browser allows: it cannot remove history already saved).
(function () {
  'use strict';
  var button = document.getElementById('quick-exit');
  if (!button) {
    return;
  }
  var target = button.getAttribute('href');
  var leaving = false;

  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    if (leaving) {
      return;
    }
    leaving = true;
    // Hide what was on screen at once, before the new site loads.
    try {
      document.title = '';
      if (document.body) {
        document.body.innerHTML = '';
      }
      // Make the entry the browser keeps point at the site root, not at
      // this form, in case the replace below is slow or refused.
      history.replaceState(null, '', '/');
    } catch (e) {
      // Leave anyway.
    }
    window.location.replace(target);
  }

  button.addEventListener('click', leave);

  var shiftCount = 0;
  var lastShift = 0;
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' || event.key === 'Esc') {
      leave(event);
      return;
    }
    if (event.key === 'Shift') {
      if (event.repeat) {
        return;
      }
      var now = Date.now();
      shiftCount = now - lastShift <= 1000 ? shiftCount + 1 : 1;
      lastShift = now;
      if (shiftCount >= 3) {
        leave(event);
      }
      return;
    }
    // Any other key (typing a capital letter, say) starts the count again.
    shiftCount = 0;
  }, true);
}());
