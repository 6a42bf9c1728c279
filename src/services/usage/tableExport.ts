/** A table as a panel shows it: its column names and its rows, cell by cell. */
export interface ExportTable {
  columns: readonly string[];
  rows: readonly (readonly (string | number | null)[])[];
}

/**
 * A text cell a spreadsheet would read as a formula (it starts with =, +, -, @, a tab or a
 * carriage return): an agent's name or a status reason is text the agent or a repository chose,
 * and opening the file must not run it. Such a cell gets a leading apostrophe, as spreadsheets
 * themselves mark text. Numbers stay numbers.
 */
const FORMULA = /^[=+\-@\t\r]/;

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV: a header line, then one line per row, CRLF line ends, quoted where needed. */
export function toCsv(table: ExportTable): string {
  const width = table.columns.length;
  const lines = [table.columns.map(csvCell).join(',')];
  for (const row of table.rows) {
    const cells: string[] = [];
    for (let i = 0; i < width; i++) cells.push(csvCell(row[i] ?? null));
    lines.push(cells.join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** JSON: an array of objects, one per row, keyed by the column names. */
export function toJson(table: ExportTable): string {
  const objects = table.rows.map((row) => Object.fromEntries(table.columns.map((c, i) => [c, row[i] ?? null])));
  return `${JSON.stringify(objects, null, 2)}\n`;
}
