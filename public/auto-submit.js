// Submits a form that needs no decision at once (e.g. a logout the RP asked for with a hint of this session);
// without JavaScript its visible button does the same.
'use strict';
document.querySelectorAll('form[data-auto-submit]').forEach((form) => form.submit());
