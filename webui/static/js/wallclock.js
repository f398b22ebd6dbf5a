// Wall-clock times shown in the site's time zone (site.timezone), never the browser's; the timeline
// arithmetic (a zone's midnight) for the recordings pages. Formatting itself is i18n.js's dateFormat.
import { getJson } from "./api.js";
import { dateFormat, siteZone } from "./i18n.js";

let site = null;

export async function siteInfo() {
  if (!site) site = getJson("/api/site");
  return site;
}

export async function siteTimezone() {
  if (siteZone()) return siteZone(); // the shell has it already (from /api/auth/me)
  try {
    return (await siteInfo()).timezone || "UTC";
  } catch {
    return "UTC";
  }
}

function format(timezone, options) {
  return dateFormat(options, timezone || "UTC");
}

// "2026-12-01 21:04:05.3" in the zone; tenths when ``precise`` (the player shows which frame).
export function formatWallclock(ms, timezone, precise = false) {
  const parts = Object.fromEntries(format(timezone, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    ...(precise ? { fractionalSecondDigits: 1 } : {}),
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const time = `${parts.hour}:${parts.minute}:${parts.second}`;
  return `${parts.year}-${parts.month}-${parts.day} ${time}${precise ? `.${parts.fractionalSecond}` : ""}`;
}

export function formatTime(ms, timezone) {
  return format(timezone, { hour: "2-digit", minute: "2-digit" }).format(new Date(ms));
}

// Epoch ms of local midnight of ``day`` ("2026-12-01") in ``timezone``.
export function zonedMidnight(day, timezone) {
  const [y, m, d] = day.split("-").map(Number);
  let guess = Date.UTC(y, m - 1, d);
  for (let i = 0; i < 2; i += 1) {
    const parts = Object.fromEntries(format(timezone, {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    }).formatToParts(new Date(guess)).map((p) => [p.type, p.value]));
    const shown = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute);
    guess -= shown - Date.UTC(y, m - 1, d);
  }
  return guess;
}

// "2026-12-01" for ``ms`` in ``timezone``.
export function zonedDay(ms, timezone) {
  const parts = Object.fromEntries(format(timezone, { year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}
