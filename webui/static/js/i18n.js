// Every string the pages show, by language. Add "id" (Bahasa Indonesia) as a second table with the same keys.
const STRINGS = {
  en: {
    "app.name": "Wawai",
    "nav.wall": "Wall",
    "nav.main": "Main navigation",
    "nav.signOut": "Sign out",
    "login.title": "Sign in",
    "login.name": "User name",
    "login.password": "Password",
    "login.submit": "Sign in",
    "login.failed": "Wrong user name or password.",
    "login.limited": "Too many attempts. Wait a minute and try again.",
    "login.error": "Sign-in failed ({status}).",
    "wall.title": "Live wall",
    "wall.grid": "Tiles",
    "wall.grid1": "Single",
    "wall.gridN": "{n}×{n}",
    "wall.layouts": "Saved layouts",
    "wall.layoutNone": "— saved layouts —",
    "wall.layoutName": "Layout name",
    "wall.save": "Save",
    "wall.delete": "Delete",
    "wall.saved": "Layout \"{name}\" saved.",
    "wall.deleted": "Layout \"{name}\" deleted.",
    "wall.overlay": "Detection boxes",
    "wall.cameras": "Cameras",
    "wall.pickCamera": "Camera for tile {n}",
    "wall.emptyTile": "— no camera —",
    "wall.keys": "Keys: 1–4 tiles · Enter full screen · Esc back · B boxes",
    "tile.state.online": "online",
    "tile.state.offline": "offline",
    "tile.state.connecting": "connecting",
    "tile.state.error": "error",
    "tile.offline": "Camera offline",
    "tile.paused": "Paused (not visible)",
    "tile.transcoded": "transcoded",
    "tile.noAccess": "Not allowed to view this camera",
    "tile.failed": "Live view failed, retrying…",
    "tile.empty": "Drop a camera here or pick one",
    "alerts.title": "Alerts",
    "alerts.none": "No alerts yet",
    "alerts.severity.low": "low",
    "alerts.severity.medium": "medium",
    "alerts.severity.high": "high",
    "alerts.severity.critical": "critical",
    "alerts.snapshot": "Snapshot of {camera}",
    "events.disconnected": "Live updates disconnected, reconnecting…",
    // Complaints (Open311), nearest cameras and the map (issue 12)
    "nav.map": "Map",
    "alerts.complaint": "Public report",
    "alerts.nearby": "Nearest cameras",
    "alerts.openWall": "Open {n} cameras on the wall",
    "alerts.noCameras": "No camera within {m} m",
    "alerts.noPlace": "No coordinates: find the address on the map",
    "alerts.distance": "{m} m",
    "alerts.covers": "sees the place",
    "alerts.photo": "Reporter's photo",
    "map.title": "Map",
    "map.layers": "Show",
    "map.cameras": "Cameras",
    "map.complaints": "Open public reports",
    "map.incidents": "Incidents (last 24 h)",
    "map.noTiles": "Map tiles unavailable: positions shown on a plain background",
    "map.noPlaced": "No camera has a location yet (add location: to the camera files)",
    "map.openCamera": "Open on the wall",
    "map.openWall": "Open nearest cameras on the wall",
    "map.snapshot": "Snapshot",
    "map.live": "Live view of {camera}",
    "map.heading": "Looks {deg}°, field of view {fov}°",
  },
  // Bahasa Indonesia. Complaints (Open311), nearest cameras and the map (issue 12):
  id: {
    "nav.map": "Peta",
    "alerts.complaint": "Laporan warga",
    "alerts.nearby": "Kamera terdekat",
    "alerts.openWall": "Buka {n} kamera di layar",
    "alerts.noCameras": "Tidak ada kamera dalam radius {m} m",
    "alerts.noPlace": "Tanpa koordinat: cari alamatnya di peta",
    "alerts.distance": "{m} m",
    "alerts.covers": "mengarah ke lokasi",
    "alerts.photo": "Foto dari pelapor",
    "map.title": "Peta",
    "map.layers": "Tampilkan",
    "map.cameras": "Kamera",
    "map.complaints": "Laporan warga yang belum selesai",
    "map.incidents": "Kejadian (24 jam terakhir)",
    "map.noTiles": "Peta dasar tidak tersedia: posisi ditampilkan di latar polos",
    "map.noPlaced": "Belum ada kamera yang punya lokasi (tambahkan location: di berkas kamera)",
    "map.openCamera": "Buka di layar",
    "map.openWall": "Buka kamera terdekat di layar",
    "map.snapshot": "Cuplikan",
    "map.live": "Siaran langsung {camera}",
    "map.heading": "Menghadap {deg}°, sudut pandang {fov}°",
  },
};

const lang = (document.documentElement.lang || "en").split("-")[0];
const table = STRINGS[lang] || STRINGS.en;

export function t(key, vars = {}) {
  const text = table[key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

// Fill elements marked data-i18n (text), data-i18n-label (aria-label), data-i18n-placeholder, data-i18n-title.
export function applyI18n(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  document.title = document.title ? t(document.title) : t("app.name");
}
