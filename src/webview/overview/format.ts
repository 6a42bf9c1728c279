/**
 * How the Overview says numbers, money, dates and times. Figures are written the same way
 * whatever the editor's language (the rest of the extension is in English), and times are the
 * webview's local time: the machine the user looks at, which is not always the host's.
 */
import type { OverviewPeriodKind } from '../overviewProtocol';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dollars = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A count as people read it exactly: 1,234,567. */
export function formatInt(n: number): string {
  return grouped.format(n);
}

/** A count in a few characters, for axes and summaries: 950, 1.2k, 3.4M, 5B. */
export function formatCompact(n: number): string {
  const abs = Math.abs(n);
  const [scale, suffix] = abs >= 1e9 ? [1e9, 'B'] : abs >= 1e6 ? [1e6, 'M'] : abs >= 1e3 ? [1e3, 'k'] : [1, ''];
  const scaled = n / scale;
  // One decimal while it says something (1.2k), none once the figure is long enough (120k).
  const text = Math.abs(scaled) >= 100 || Number.isInteger(scaled) ? String(Math.round(scaled)) : scaled.toFixed(1).replace(/\.0$/, '');
  return `${text}${suffix}`;
}

/** Dollars: $0.00, $0.0040 for less than a cent (so small costs do not read as nothing), $1,234.50. */
export function formatUsd(usd: number): string {
  if (usd > 0 && usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${dollars.format(usd)}`;
}

/** Dollars in a few characters, for axes: $0, $0.25, $3.5, $1.2k. */
export function formatUsdCompact(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 1) return `$${usd.toFixed(2)}`;
  return `$${formatCompact(usd)}`;
}

/** A share from 0–1 as a whole percentage: 0.324 → "32%". */
export function formatPercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** "1 request" or "3 requests". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatInt(n)} ${n === 1 ? one : many}`;
}

/** A local date (YYYY-MM-DD) as its parts; undefined for anything else. */
export function parseDay(day: string): { year: number; month: number; date: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  return m ? { year: Number(m[1]), month: Number(m[2]) - 1, date: Number(m[3]) } : undefined;
}

/** A period's first day as a chart's axis says it: "1 Nov" (days, weeks) or "Nov 2026" (months). */
export function periodAxisLabel(day: string, period: OverviewPeriodKind): string {
  const d = parseDay(day);
  if (!d) return day;
  return period === 'monthly' ? `${MONTHS[d.month]} ${d.year}` : `${d.date} ${MONTHS[d.month]}`;
}

/** A period in full, for tooltips and tables: "1 Nov 2026", "week of 1 Nov 2026", "November 2026". */
export function periodName(day: string, period: OverviewPeriodKind): string {
  const d = parseDay(day);
  if (!d) return day;
  if (period === 'monthly') return `${MONTH_NAMES[d.month]} ${d.year}`;
  const text = `${d.date} ${MONTHS[d.month]} ${d.year}`;
  return period === 'weekly' ? `week of ${text}` : text;
}

/** A range of local dates: "1 Nov – 30 Nov 2026", or "1 Dec 2025 – 30 Nov 2026" across a new year. */
export function formatRange(from: string, to: string): string {
  const a = parseDay(from);
  const b = parseDay(to);
  if (!a || !b) return `${from} – ${to}`;
  const start = a.year === b.year ? `${a.date} ${MONTHS[a.month]}` : `${a.date} ${MONTHS[a.month]} ${a.year}`;
  return `${start} – ${b.date} ${MONTHS[b.month]} ${b.year}`;
}

const two = (n: number) => String(n).padStart(2, '0');

/** A moment as local wall-clock time, 24-hour: "14:05". */
export function formatClock(at: Date): string {
  return `${two(at.getHours())}:${two(at.getMinutes())}`;
}

/** A moment in full local time, for titles: "2026-11-30 14:05". */
export function formatAbsolute(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${formatClock(at)}`;
}

function sameLocalDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/**
 * A moment to come, as short as it can be said without doubt: "14:05" today, "Tue 14:05" within
 * the week, "3 Dec 14:05" beyond.
 */
export function formatWhen(iso: string, now = new Date()): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  if (sameLocalDay(at, now)) return formatClock(at);
  const days = (at.getTime() - now.getTime()) / 86_400_000;
  if (days > -6 && days < 6) return `${WEEKDAYS[at.getDay()]} ${formatClock(at)}`;
  return `${at.getDate()} ${MONTHS[at.getMonth()]} ${formatClock(at)}`;
}

/** How long ago: "just now", "5 min ago", "3 h ago", "2 days ago", then the date. */
export function formatRelative(iso: string, now = Date.now()): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.max(0, (now - at) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  if (seconds < 30 * 86_400) return plural(Math.floor(seconds / 86_400), 'day') + ' ago';
  return formatAbsolute(iso).slice(0, 10);
}

/** "five_hour" → "5-hour window", "seven_day" → "7-day window"; other names title-cased. */
export function limitName(type: string): string {
  if (type === 'five_hour') return '5-hour window';
  if (type === 'seven_day') return '7-day window';
  return type
    .split(/[_\s-]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}

/** What a limit's status means: "allowed", "near the limit", "limit reached", or the CLI's word. */
export function limitStatus(status: string): string {
  if (status === 'allowed_warning') return 'near the limit';
  if (status === 'rejected') return 'limit reached';
  return status.replace(/_/g, ' ');
}

/** The word for a period kind, one of it and many: ["day", "days"]. */
export const PERIOD_WORDS: Record<OverviewPeriodKind, { one: string; label: string }> = {
  daily: { one: 'day', label: 'Day' },
  weekly: { one: 'week', label: 'Week' },
  monthly: { one: 'month', label: 'Month' },
};
