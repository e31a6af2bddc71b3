// After django-otp-webauthn's script has registered a passkey, go where the server answered:
// the new recovery codes, or back to the page the registration started from.
document.addEventListener("otp_webauthn.register_complete", (event) => {
  const url = event.detail && event.detail.response && event.detail.response.redirect_url;
  if (url) {
    window.location.assign(url);
  }
});
