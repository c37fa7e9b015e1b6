// OpenID Connect Front-Channel Logout 1.0 §2: each relying party signs itself out when its iframe loads. Once every
// frame has loaded (or after a few seconds, so one slow or broken RP cannot hold the user here) the browser goes on
// to where the logout was heading. Without JavaScript, the visible "Continue" link does the same.
// Loaded before the frames: a load event of an iframe does not bubble, so it is caught in the capture phase.
'use strict';
(function () {
  var loaded = 0;
  var done = false;
  function holder() { return document.querySelector('[data-frontchannel-logout]'); }
  function go() {
    var target = holder() && holder().getAttribute('data-continue');
    if (done || !target) return;
    done = true;
    window.location.assign(target);
  }
  function check() {
    var frames = holder() ? holder().querySelectorAll('iframe').length : 0;
    if (document.readyState !== 'loading' && loaded >= frames) go();
  }
  document.addEventListener('load', function (event) {
    if (event.target && event.target.tagName === 'IFRAME') { loaded += 1; check(); }
  }, true);
  document.addEventListener('DOMContentLoaded', check);
  setTimeout(go, 5000);
}());
