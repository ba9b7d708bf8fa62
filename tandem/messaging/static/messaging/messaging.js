// Messaging: keep the send button from being pressed twice while a message is on its
// way (the server also stores a double-clicked send once, by its client token).
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (!form.matches || !form.matches("form.composer-form")) return;
  const button = form.querySelector("button.send");
  if (button) {
    if (button.dataset.sending === "1") { event.preventDefault(); return; }
    button.dataset.sending = "1";
    button.setAttribute("aria-disabled", "true");
  }
});
