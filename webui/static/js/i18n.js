// Every string the pages show, by language (en, id), and times in the site's time zone.
// The language is the signed-in user's (PATCH /api/me), remembered in localStorage for the sign-in page;
// shell.js calls setLocale() with it and the site's time zone before a page builds anything.
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

    // --- supervisors: incident queue, incident page, audit, languages (issue 10) ---
    "nav.queue": "Incidents",
    "nav.audit": "Audit",
    "nav.language": "Language",
    "lang.en": "English",
    "lang.id": "Bahasa Indonesia",
    "alerts.overdue": "Not acknowledged in time",
    "alerts.openIncident": "Open incident {id}",
    "status.new": "new",
    "status.acknowledged": "acknowledged",
    "status.assigned": "assigned",
    "status.on_hold": "on hold",
    "status.resolved": "resolved",
    "status.false_alarm": "false alarm",
    "action.acknowledge": "Acknowledge",
    "action.assign": "Assign",
    "action.hold": "Put on hold",
    "action.resolve": "Resolve",
    "action.false_alarm": "False alarm",
    "action.reopen": "Reopen",
    "action.note": "Add note",
    "action.priority": "Change priority",
    "action.lock": "Lock as evidence",
    "action.unlock": "Unlock evidence",
    "action.escalate": "Escalated: not acknowledged in time",
    "queue.title": "Incident queue",
    "queue.filters": "Filters",
    "queue.camera": "Camera",
    "queue.group": "Department",
    "queue.rule": "Rule",
    "queue.type": "Type",
    "queue.severity": "Severity",
    "queue.status": "Status",
    "queue.assignee": "Assigned to",
    "queue.since": "From",
    "queue.until": "Until",
    "queue.hideSeen": "Hide the ones I have seen",
    "queue.any": "— any —",
    "queue.apply": "Apply",
    "queue.reset": "Clear filters",
    "queue.none": "No incidents match these filters.",
    "queue.page": "Page {page} of {pages} · {total} incidents",
    "queue.prev": "Previous",
    "queue.next": "Next",
    "queue.keys": "Keys: J/K next/previous · Enter open · A acknowledge · N note",
    "queue.col.time": "Time",
    "queue.col.camera": "Camera",
    "queue.col.rule": "Rule",
    "queue.col.priority": "Priority",
    "queue.col.status": "Status",
    "queue.col.assignee": "Assigned to",
    "queue.overdue": "OVERDUE",
    "queue.seen": "seen",
    "queue.noteFor": "Note for incident {id}",
    "queue.noteSave": "Save note",
    "queue.noteSaved": "Note saved on incident {id}.",
    "queue.acknowledged": "Incident {id} acknowledged.",
    "incident.title": "Incident",
    "incident.heading": "Incident {id}: {rule}",
    "incident.snapshot": "Snapshot",
    "incident.snapshotAlt": "Snapshot of incident {id} on {camera}",
    "incident.noSnapshot": "No snapshot for this incident.",
    "incident.clip": "Clip",
    "incident.clipRange": "Clip from {start} to {end}",
    "incident.began": "Began {time}",
    "incident.ended": "Ended {time}",
    "incident.stillOpen": "Still going on",
    "incident.clipLoading": "Loading the clip…",
    "incident.clipMissing": "No recording for this incident.",
    "incident.clipRefused": "Only supervisors can play the clip.",
    "incident.live": "Live view of the camera",
    "incident.details": "Details",
    "incident.camera": "Camera",
    "incident.group": "Department",
    "incident.rule": "Rule",
    "incident.zone": "Zone",
    "incident.objects": "Objects",
    "incident.status": "Status",
    "incident.priority": "Priority",
    "incident.assignee": "Assigned to",
    "incident.nobody": "nobody yet",
    "incident.resolution": "Resolution note",
    "incident.history": "History",
    "incident.noHistory": "No changes yet.",
    "incident.actions": "Actions",
    "incident.noActions": "Nothing you can do to this incident now.",
    "incident.note": "Note",
    "incident.assignTo": "Assign to (user name)",
    "incident.export": "Export evidence",
    "incident.exported": "Evidence package downloaded (SHA-256 {sha}).",
    "incident.locked": "Locked as evidence by {user}",
    "incident.done": "Done: {action}.",
    "incident.invalid": "Cannot “{action}” now: the incident is {status}.",
    "incident.forbidden": "Your role may not “{action}”.",
    "incident.failed": "Not done: {reason}",
    "incident.notFound": "This incident does not exist or is outside your departments.",
    "audit.title": "Audit log",
    "audit.user": "User",
    "audit.action": "Action",
    "audit.camera": "Camera",
    "audit.csv": "Download CSV",
    "audit.verify": "Check the chain",
    "audit.verifyOk": "Intact: {rows} rows, newest hash {head}",
    "audit.verifyBad": "NOT intact: {problem}",
    "audit.col.time": "Time",
    "audit.col.user": "User",
    "audit.col.action": "Action",
    "audit.col.camera": "Camera",
    "audit.col.detail": "Detail",
    "audit.none": "No audit rows match these filters.",
    "audit.page": "Page {page} of {pages} · {total} rows",
    "audit.pubkey": "Evidence signing key (Ed25519)",
    "audit.fingerprint": "Fingerprint {fingerprint}",
    "audit.adminOnly": "Only admins can read the audit log.",
  },
  id: {
    "app.name": "Wawai",
    "nav.wall": "Layar pantau",
    "nav.main": "Navigasi utama",
    "nav.signOut": "Keluar",
    "login.title": "Masuk",
    "login.name": "Nama pengguna",
    "login.password": "Kata sandi",
    "login.submit": "Masuk",
    "login.failed": "Nama pengguna atau kata sandi salah.",
    "login.limited": "Terlalu banyak percobaan. Tunggu sebentar, lalu coba lagi.",
    "login.error": "Gagal masuk ({status}).",
    "wall.title": "Pantauan langsung",
    "wall.grid": "Petak",
    "wall.grid1": "Satu layar",
    "wall.gridN": "{n}×{n}",
    "wall.layouts": "Tata letak tersimpan",
    "wall.layoutNone": "— tata letak tersimpan —",
    "wall.layoutName": "Nama tata letak",
    "wall.save": "Simpan",
    "wall.delete": "Hapus",
    "wall.saved": "Tata letak \"{name}\" tersimpan.",
    "wall.deleted": "Tata letak \"{name}\" dihapus.",
    "wall.overlay": "Kotak deteksi",
    "wall.cameras": "Kamera",
    "wall.pickCamera": "Kamera untuk petak {n}",
    "wall.emptyTile": "— tanpa kamera —",
    "wall.keys": "Tombol: 1–4 petak · Enter layar penuh · Esc kembali · B kotak deteksi",
    "tile.state.online": "online",
    "tile.state.offline": "offline",
    "tile.state.connecting": "menyambung",
    "tile.state.error": "gangguan",
    "tile.offline": "Kamera mati",
    "tile.paused": "Dijeda (tidak tampil)",
    "tile.transcoded": "dikonversi",
    "tile.noAccess": "Anda tidak punya akses ke kamera ini",
    "tile.failed": "Siaran langsung gagal, mencoba lagi…",
    "tile.empty": "Seret kamera ke sini atau pilih dari daftar",
    "alerts.title": "Peringatan",
    "alerts.none": "Belum ada peringatan",
    "alerts.severity.low": "rendah",
    "alerts.severity.medium": "sedang",
    "alerts.severity.high": "tinggi",
    "alerts.severity.critical": "kritis",
    "alerts.snapshot": "Foto dari {camera}",
    "events.disconnected": "Pembaruan langsung terputus, menyambung ulang…",

    // --- supervisors: incident queue, incident page, audit, languages (issue 10) ---
    "nav.queue": "Insiden",
    "nav.audit": "Audit",
    "nav.language": "Bahasa",
    "lang.en": "English",
    "lang.id": "Bahasa Indonesia",
    "alerts.overdue": "Belum diterima, lewat batas waktu",
    "alerts.openIncident": "Buka insiden {id}",
    "status.new": "baru",
    "status.acknowledged": "diterima",
    "status.assigned": "ditugaskan",
    "status.on_hold": "ditunda",
    "status.resolved": "selesai",
    "status.false_alarm": "alarm palsu",
    "action.acknowledge": "Terima",
    "action.assign": "Tugaskan",
    "action.hold": "Tunda dulu",
    "action.resolve": "Selesaikan",
    "action.false_alarm": "Alarm palsu",
    "action.reopen": "Buka lagi",
    "action.note": "Tambah catatan",
    "action.priority": "Ubah prioritas",
    "action.lock": "Kunci sebagai barang bukti",
    "action.unlock": "Buka kunci barang bukti",
    "action.escalate": "Dieskalasi: tidak diterima tepat waktu",
    "queue.title": "Antrean insiden",
    "queue.filters": "Saringan",
    "queue.camera": "Kamera",
    "queue.group": "Dinas/OPD",
    "queue.rule": "Aturan",
    "queue.type": "Jenis",
    "queue.severity": "Tingkat bahaya",
    "queue.status": "Status",
    "queue.assignee": "Petugas",
    "queue.since": "Dari",
    "queue.until": "Sampai",
    "queue.hideSeen": "Sembunyikan yang sudah saya lihat",
    "queue.any": "— semua —",
    "queue.apply": "Terapkan",
    "queue.reset": "Hapus saringan",
    "queue.none": "Tidak ada insiden yang cocok dengan saringan ini.",
    "queue.page": "Halaman {page} dari {pages} · {total} insiden",
    "queue.prev": "Sebelumnya",
    "queue.next": "Berikutnya",
    "queue.keys": "Tombol: J/K berikut/sebelumnya · Enter buka · A terima · N catatan",
    "queue.col.time": "Waktu",
    "queue.col.camera": "Kamera",
    "queue.col.rule": "Aturan",
    "queue.col.priority": "Prioritas",
    "queue.col.status": "Status",
    "queue.col.assignee": "Petugas",
    "queue.overdue": "TERLAMBAT",
    "queue.seen": "sudah dilihat",
    "queue.noteFor": "Catatan untuk insiden {id}",
    "queue.noteSave": "Simpan catatan",
    "queue.noteSaved": "Catatan tersimpan di insiden {id}.",
    "queue.acknowledged": "Insiden {id} sudah diterima.",
    "incident.title": "Insiden",
    "incident.heading": "Insiden {id}: {rule}",
    "incident.snapshot": "Foto kejadian",
    "incident.snapshotAlt": "Foto insiden {id} di {camera}",
    "incident.noSnapshot": "Tidak ada foto untuk insiden ini.",
    "incident.clip": "Rekaman",
    "incident.clipRange": "Rekaman dari {start} sampai {end}",
    "incident.began": "Mulai {time}",
    "incident.ended": "Berakhir {time}",
    "incident.stillOpen": "Masih berlangsung",
    "incident.clipLoading": "Memuat rekaman…",
    "incident.clipMissing": "Tidak ada rekaman untuk insiden ini.",
    "incident.clipRefused": "Hanya supervisor yang bisa memutar rekaman.",
    "incident.live": "Lihat kamera secara langsung",
    "incident.details": "Rincian",
    "incident.camera": "Kamera",
    "incident.group": "Dinas/OPD",
    "incident.rule": "Aturan",
    "incident.zone": "Zona",
    "incident.objects": "Objek",
    "incident.status": "Status",
    "incident.priority": "Prioritas",
    "incident.assignee": "Petugas",
    "incident.nobody": "belum ada",
    "incident.resolution": "Catatan penyelesaian",
    "incident.history": "Riwayat",
    "incident.noHistory": "Belum ada perubahan.",
    "incident.actions": "Tindakan",
    "incident.noActions": "Tidak ada tindakan yang bisa Anda lakukan sekarang.",
    "incident.note": "Catatan",
    "incident.assignTo": "Tugaskan ke (nama pengguna)",
    "incident.export": "Ekspor barang bukti",
    "incident.exported": "Paket barang bukti sudah diunduh (SHA-256 {sha}).",
    "incident.locked": "Dikunci sebagai barang bukti oleh {user}",
    "incident.done": "Berhasil: {action}.",
    "incident.invalid": "Belum bisa “{action}”: insiden ini berstatus {status}.",
    "incident.forbidden": "Peran Anda tidak boleh “{action}”.",
    "incident.failed": "Gagal: {reason}",
    "incident.notFound": "Insiden ini tidak ada atau di luar dinas Anda.",
    "audit.title": "Log audit",
    "audit.user": "Pengguna",
    "audit.action": "Tindakan",
    "audit.camera": "Kamera",
    "audit.csv": "Unduh CSV",
    "audit.verify": "Periksa rantai hash",
    "audit.verifyOk": "Utuh: {rows} baris, hash terbaru {head}",
    "audit.verifyBad": "TIDAK utuh: {problem}",
    "audit.col.time": "Waktu",
    "audit.col.user": "Pengguna",
    "audit.col.action": "Tindakan",
    "audit.col.camera": "Kamera",
    "audit.col.detail": "Rincian",
    "audit.none": "Tidak ada catatan audit yang cocok dengan saringan ini.",
    "audit.page": "Halaman {page} dari {pages} · {total} baris",
    "audit.pubkey": "Kunci tanda tangan barang bukti (Ed25519)",
    "audit.fingerprint": "Sidik jari {fingerprint}",
    "audit.adminOnly": "Hanya admin yang bisa membaca log audit.",
  },
};

export const LANGUAGES = ["en", "id"];
const LANG_KEY = "wawai.language";
const LOCALES = { en: "en-GB", id: "id-ID" };

let lang = pickLanguage(localStorage.getItem(LANG_KEY) || document.documentElement.lang);
let timeZone; // undefined: the browser's own until the site's is known
document.documentElement.lang = lang;

function pickLanguage(value) {
  const short = String(value || "en").split("-")[0];
  return LANGUAGES.includes(short) ? short : "en";
}

export function language() {
  return lang;
}

// The user's language and the site's time zone (from /api/auth/me), remembered for the sign-in page.
export function setLocale({ language: wanted, timezone } = {}) {
  lang = pickLanguage(wanted);
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
  if (timezone) timeZone = timezone;
}

export function t(key, vars = {}) {
  const text = STRINGS[lang]?.[key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

// ``value``: a Date, an ISO string, or epoch seconds (the API's clip times).
function format(value, options) {
  if (value === null || value === undefined || value === "") return "";
  const moment = value instanceof Date ? value : new Date(typeof value === "number" ? value * 1000 : value);
  return new Intl.DateTimeFormat(LOCALES[lang], { timeZone, hourCycle: "h23", ...options }).format(moment);
}

// Times as the site's clock shows them (site.timezone), whatever the browser's zone.
export function formatTime(value) {
  return format(value, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function formatDateTime(value) {
  return format(value, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

// Fill elements marked data-i18n (text), data-i18n-label (aria-label), data-i18n-placeholder, data-i18n-title.
export function applyI18n(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  if (!document.documentElement.dataset.titleKey) document.documentElement.dataset.titleKey = document.title;
  const titleKey = document.documentElement.dataset.titleKey;
  document.title = titleKey ? t(titleKey) : t("app.name");
}

// For tests: every table, so a page walk can look for strings left untranslated.
export const TABLES = STRINGS;

// Minutes the site's zone is ahead of UTC at ``moment`` (Asia/Jakarta: 420).
function zoneOffsetMinutes(moment) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(moment).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return Math.round((asUtc - moment.getTime()) / 60000);
}

// A <input type="datetime-local"> value read as the site's clock -> ISO UTC (and back), so filters mean
// site time whatever zone the browser is in.
export function siteInputToIso(value) {
  if (!value) return "";
  const guess = new Date(`${value}:00Z`);
  if (Number.isNaN(guess.getTime())) return "";
  return new Date(guess.getTime() - zoneOffsetMinutes(guess) * 60000).toISOString();
}

export function isoToSiteInput(iso) {
  const moment = new Date(iso);
  if (!iso || Number.isNaN(moment.getTime())) return "";
  return new Date(moment.getTime() + zoneOffsetMinutes(moment) * 60000).toISOString().slice(0, 16);
}
