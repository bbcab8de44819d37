// Passkeys (WebAuthn), as progressive enhancement. Each passkey form on a
// page is a <form data-passkey="create|get" data-options="URL" hidden>.
// If the browser has WebAuthn, the script asks the server for the options
// of a ceremony; if it gets them, it shows the form. Submitting the form
// runs the ceremony in the browser and posts its answer, as JSON in the
// hidden "credential" field, to the form's action: the server answers
// with a page, as for any form. Without WebAuthn (or JavaScript) the
// forms stay hidden and the rest of the page works as before.
"use strict";

(function () {
  if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) {
    return;
  }

  // Options older than this are fetched again before use: the server
  // keeps a ceremony for five minutes.
  const maxAge = 4 * 60 * 1000;

  function fromBase64url(s) {
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  }

  function toBase64url(buf) {
    let s = "";
    for (const b of new Uint8Array(buf)) {
      s += String.fromCharCode(b);
    }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The server's JSON carries binary values as base64url; the browser
  // wants ArrayBuffers.
  function decodeOptions(kind, o) {
    const pk = o.publicKey;
    pk.challenge = fromBase64url(pk.challenge);
    if (kind === "create") {
      pk.user.id = fromBase64url(pk.user.id);
    }
    for (const c of pk.excludeCredentials || pk.allowCredentials || []) {
      c.id = fromBase64url(c.id);
    }
    return { publicKey: pk };
  }

  function encodeCredential(c) {
    const r = c.response;
    const out = {
      id: c.id,
      rawId: toBase64url(c.rawId),
      type: c.type,
      clientExtensionResults: c.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(r.clientDataJSON) },
    };
    if (c.authenticatorAttachment) {
      out.authenticatorAttachment = c.authenticatorAttachment;
    }
    if (r.attestationObject) {
      out.response.attestationObject = toBase64url(r.attestationObject);
      if (r.getTransports) {
        out.response.transports = r.getTransports();
      }
    } else {
      out.response.authenticatorData = toBase64url(r.authenticatorData);
      out.response.signature = toBase64url(r.signature);
      if (r.userHandle) {
        out.response.userHandle = toBase64url(r.userHandle);
      }
    }
    return JSON.stringify(out);
  }

  async function fetchOptions(form) {
    const res = await fetch(form.dataset.options, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const body = await res.json();
    if (!res.ok) {
      throw new Error(body.error || "");
    }
    return { at: Date.now(), body: body };
  }

  function showMessage(form, text) {
    const status = form.querySelector("[data-passkey-status]");
    status.textContent = text;
    status.hidden = !text;
  }

  async function setUp(form) {
    const kind = form.dataset.passkey;
    let options;
    try {
      options = await fetchOptions(form);
    } catch (e) {
      return; // no passkey for this account, or none possible: stay hidden
    }
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      showMessage(form, "");
      try {
        if (Date.now() - options.at > maxAge) {
          options = await fetchOptions(form);
        }
        const request = decodeOptions(kind, structuredClone(options.body));
        const credential = kind === "create"
          ? await navigator.credentials.create(request)
          : await navigator.credentials.get(request);
        form.elements.credential.value = encodeCredential(credential);
        form.submit();
      } catch (e) {
        // Cancelled, timed out, or refused by the browser: say so and let
        // the person try again with fresh options.
        showMessage(form, e.message && e.name === "Error" ? e.message : form.dataset.failed);
        options = { at: 0 };
        button.disabled = false;
      }
    });
  }

  for (const form of document.querySelectorAll("form[data-passkey]")) {
    setUp(form);
  }
})();
