// Submits the SAML HTTP-POST binding form at once; without JavaScript the visible button does the same.
'use strict';
document.querySelectorAll('form[data-auto-submit]').forEach((form) => form.submit());
