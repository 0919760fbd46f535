/**
 * The endpoint's active hours (the inference stack's endpoint_active_hours): outside them the endpoint is
 * removed and the API answers 503 with the time it comes back. The stack turns them into the two schedules
 * (EventBridge Scheduler cron expressions in the time zone), the lifecycle and classify functions and
 * `npm run status` read them from the same JSON, and the next start is computed here once.
 */

export interface ActiveHours {
  /** EventBridge's day-of-week field: MON-FRI, or a list such as MON,WED,FRI (ranges allowed in it). */
  readonly days: string;
  /** HH:MM, 24-hour, in the time zone. */
  readonly start: string;
  readonly end: string;
  /** An IANA time zone such as Europe/Berlin (EventBridge Scheduler's ScheduleExpressionTimezone). */
  readonly time_zone: string;
}

export const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

/** What the Terraform variable's validation and the parser below both accept (RE2 and JavaScript alike). */
export const DAYS_PATTERN =
  "^(SUN|MON|TUE|WED|THU|FRI|SAT)(-(SUN|MON|TUE|WED|THU|FRI|SAT))?(,(SUN|MON|TUE|WED|THU|FRI|SAT)(-(SUN|MON|TUE|WED|THU|FRI|SAT))?)*$";
export const TIME_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

export class ActiveHoursError extends Error {
  override readonly name = "ActiveHoursError";
}

/** The days the field names, as 0 (Sunday) to 6; a range may wrap (FRI-MON). */
export function activeDays(days: string): Set<number> {
  if (!new RegExp(DAYS_PATTERN).test(days)) {
    throw new ActiveHoursError(`days must be such as MON-FRI or MON,WED,FRI, got "${days}"`);
  }
  const result = new Set<number>();
  for (const part of days.split(",")) {
    const [from, to = from] = part.split("-").map((d) => DAY_NAMES.indexOf(d as (typeof DAY_NAMES)[number]));
    for (let day = from as number; ; day = (day + 1) % 7) {
      result.add(day);
      if (day === to) break;
    }
  }
  return result;
}

function minutesOf(name: string, time: string): number {
  if (!new RegExp(TIME_PATTERN).test(time))
    throw new ActiveHoursError(`${name} must be HH:MM, got "${time}"`);
  const [hours, minutes] = time.split(":").map(Number);
  return (hours as number) * 60 + (minutes as number);
}

/** Parses the JSON the stack passes to the functions; empty means no active hours (always on). */
export function parseActiveHours(json: string | undefined): ActiveHours | undefined {
  if (json === undefined || json.trim() === "" || json.trim() === "null") return undefined;
  let value: Partial<ActiveHours>;
  try {
    value = JSON.parse(json) as Partial<ActiveHours>;
  } catch (cause) {
    throw new ActiveHoursError(`active hours are not JSON: ${json}`, { cause });
  }
  const hours = {
    days: String(value.days ?? ""),
    start: String(value.start ?? ""),
    end: String(value.end ?? ""),
    time_zone: String(value.time_zone ?? ""),
  };
  activeDays(hours.days);
  if (minutesOf("start", hours.start) >= minutesOf("end", hours.end)) {
    throw new ActiveHoursError(`start must be before end within a day, got ${hours.start}-${hours.end}`);
  }
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: hours.time_zone });
  } catch (cause) {
    throw new ActiveHoursError(
      `time_zone must be an IANA time zone such as Europe/Berlin, got "${hours.time_zone}"`,
      {
        cause,
      },
    );
  }
  return hours;
}

export function describeActiveHours(hours: ActiveHours): string {
  return `${hours.days} ${hours.start}-${hours.end} ${hours.time_zone}`;
}

interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
  readonly minutes: number;
}

/**
 * One formatter per time zone: building one costs far more than using it, and the classify function asks for
 * the active window on every request (about twenty readings each).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      weekday: "short",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function localTime(instant: Date, timeZone: string): LocalTime {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: DAY_NAMES.indexOf(String(parts.weekday).toUpperCase() as (typeof DAY_NAMES)[number]),
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** The instant a local wall-clock time happens in the zone (DST: the offset is found by two corrections). */
function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): Date {
  const wanted = Date.UTC(year, month - 1, day, 0, minutes);
  let guess = wanted;
  for (let i = 0; i < 2; i++) {
    const seen = localTime(new Date(guess), timeZone);
    const seenAsUtc = Date.UTC(seen.year, seen.month - 1, seen.day, 0, seen.minutes);
    guess += wanted - seenAsUtc;
  }
  return new Date(guess);
}

export interface ActiveWindow {
  readonly active: boolean;
  /** When the endpoint is next started (now, if active: the current window's start). */
  readonly nextStart: Date;
  /** When the current or next window ends. */
  readonly nextEnd: Date;
}

/** Whether `now` falls in the active hours, and the next window's bounds. */
export function activeWindow(now: Date, hours: ActiveHours): ActiveWindow {
  const days = activeDays(hours.days);
  const start = minutesOf("start", hours.start);
  const end = minutesOf("end", hours.end);
  const today = localTime(now, hours.time_zone);
  for (let offset = 0; offset <= 8; offset++) {
    // Noon of the local day `offset` days ahead: safe from DST shifts at night.
    const noon = instantOf(today.year, today.month, today.day, 12 * 60, hours.time_zone);
    const local = localTime(new Date(noon.getTime() + offset * 86_400_000), hours.time_zone);
    if (!days.has(local.weekday)) continue;
    const windowStart = instantOf(local.year, local.month, local.day, start, hours.time_zone);
    const windowEnd = instantOf(local.year, local.month, local.day, end, hours.time_zone);
    if (now.getTime() >= windowEnd.getTime()) continue;
    return { active: now.getTime() >= windowStart.getTime(), nextStart: windowStart, nextEnd: windowEnd };
  }
  throw new ActiveHoursError(
    `no active window within 8 days of ${now.toISOString()} for ${describeActiveHours(hours)}`,
  );
}

/** A local wall-clock reading of an instant in the zone, for messages: "2026-12-07 07:00 Europe/Berlin". */
export function formatLocal(instant: Date, timeZone: string): string {
  const t = localTime(instant, timeZone);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(Math.floor(t.minutes / 60))}:${pad(t.minutes % 60)} ${timeZone}`;
}
