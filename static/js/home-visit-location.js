// Q-Info: the home-visit form's location. "ใช้ตำแหน่งปัจจุบัน" fills the latitude and longitude
// fields from the phone's position (the browser asks the teacher first), and "เปิดแผนที่" opens the
// typed point on OpenStreetMap in a new tab (a link only: no map tiles or scripts are loaded).
// Wired by data- attributes; without JavaScript the two fields are typed by hand.
(function () {
  "use strict";
  var ERRORS = {
    1: "ไม่ได้รับอนุญาตให้ใช้ตำแหน่ง กรุณาอนุญาตในเบราว์เซอร์ หรือกรอกพิกัดเอง",
    2: "หาตำแหน่งไม่ได้ในขณะนี้ กรุณาลองใหม่ หรือกรอกพิกัดเอง",
    3: "หาตำแหน่งนานเกินไป กรุณาลองใหม่ หรือกรอกพิกัดเอง",
  };

  function mapUrl(lat, lng) {
    return "https://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + lng + "#map=17/" + lat + "/" + lng;
  }

  function point(latField, lngField) {
    var lat = parseFloat(latField.value), lng = parseFloat(lngField.value);
    if (isNaN(lat) || isNaN(lng) || lat < -90 || lat > 90 || lng < -180 || lng > 180) return null;
    return [lat, lng];
  }

  function wire(box) {
    var latField = document.getElementById(box.getAttribute("data-latitude"));
    var lngField = document.getElementById(box.getAttribute("data-longitude"));
    var here = box.querySelector("[data-location-here]");
    var map = box.querySelector("[data-location-map]");
    var status = box.querySelector("[data-location-status]");
    if (!latField || !lngField) return;

    function refresh() {
      var p = point(latField, lngField);
      map.hidden = !p;
      if (p) map.href = mapUrl(p[0], p[1]);
    }
    latField.addEventListener("input", refresh);
    lngField.addEventListener("input", refresh);
    refresh();

    if (!("geolocation" in navigator)) return;
    here.hidden = false;
    here.addEventListener("click", function () {
      here.disabled = true;
      status.textContent = "กำลังหาตำแหน่ง…";
      navigator.geolocation.getCurrentPosition(
        function (position) {
          latField.value = position.coords.latitude.toFixed(6);
          lngField.value = position.coords.longitude.toFixed(6);
          status.textContent = "ได้ตำแหน่งแล้ว (คลาดเคลื่อนประมาณ " + Math.round(position.coords.accuracy) + " เมตร)";
          here.disabled = false;
          refresh();
        },
        function (error) {
          status.textContent = ERRORS[error.code] || ERRORS[2];
          here.disabled = false;
        },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
      );
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-location]"), wire);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
