// WebAuthn ceremonies for the hosted pages (no inline script: our CSP allows only 'self'). A form with
// data-webauthn="create" or "get" carries the server's options as JSON in data-options; on submit we call the
// browser's WebAuthn API and post the credential, encoded as JSON (base64url), in the hidden `credential` field.
(() => {
  const b64uToBuffer = (value) => {
    const base64 = value.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(value.length / 4) * 4, '=');
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
  };
  const bufferToB64u = (buffer) => {
    let text = '';
    for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const withIds = (list = []) => list.map((item) => ({ ...item, id: b64uToBuffer(item.id) }));

  const creationOptions = (o) => ({
    ...o, challenge: b64uToBuffer(o.challenge), user: { ...o.user, id: b64uToBuffer(o.user.id) },
    excludeCredentials: withIds(o.excludeCredentials),
  });
  const requestOptions = (o) => ({ ...o, challenge: b64uToBuffer(o.challenge), allowCredentials: withIds(o.allowCredentials) });

  const toJSON = (credential) => {
    const r = credential.response;
    const response = { clientDataJSON: bufferToB64u(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = bufferToB64u(r.attestationObject);
      response.transports = typeof r.getTransports === 'function' ? r.getTransports() : [];
    } else {
      response.authenticatorData = bufferToB64u(r.authenticatorData);
      response.signature = bufferToB64u(r.signature);
      if (r.userHandle) response.userHandle = bufferToB64u(r.userHandle);
    }
    return JSON.stringify({
      id: credential.id, rawId: bufferToB64u(credential.rawId), type: credential.type, response,
      clientExtensionResults: credential.getClientExtensionResults(), authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    });
  };

  for (const form of document.querySelectorAll('form[data-webauthn]')) {
    form.addEventListener('submit', async (event) => {
      const field = form.querySelector('input[name=credential]');
      if (field.value) return;
      event.preventDefault();
      const options = JSON.parse(form.dataset.options);
      try {
        const credential = form.dataset.webauthn === 'create'
          ? await navigator.credentials.create({ publicKey: creationOptions(options) })
          : await navigator.credentials.get({ publicKey: requestOptions(options) });
        field.value = toJSON(credential);
      } catch (error) {
        field.value = JSON.stringify({ error: String(error && error.name) });
      }
      form.submit();
    });
  }
})();
