// "Use my location": fills a "near" field with the browser's position (LAT,LON), if allowed.
// The position stays in the page's query string; nothing is sent anywhere else.
(function () {
  if (!("geolocation" in navigator)) return;
  document.querySelectorAll("button[data-geo-target]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-geo-target"));
    if (!input) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        input.value = pos.coords.latitude.toFixed(4) + "," + pos.coords.longitude.toFixed(4);
        button.disabled = false;
        if (input.form) input.form.requestSubmit();
      }, function () {
        button.disabled = false;
        button.textContent = "Location not available";
      }, { maximumAge: 600000, timeout: 10000 });
    });
  });
})();
