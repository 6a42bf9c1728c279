/** What the last export of a table came to: where it was saved, or why it failed. A cancelled save says nothing. */
export type ExportNotice = { kind: 'saved'; path: string } | { kind: 'error'; message: string };

/**
 * "Export CSV" and "Export JSON" for one table, and what its last export came to: "Saved to …"
 * as a polite status, a failure as an alert.
 */
export function ExportButtons({ table, label, notice, busy, onExport }: { table: 'agents' | 'usage'; label: string; notice: ExportNotice | undefined; busy: boolean; onExport: (format: 'csv' | 'json') => void }) {
  return (
    <div class="export" role="group" aria-label={`Export ${label}`}>
      <button type="button" class="secondary" data-testid={`export-${table}-csv`} disabled={busy} onClick={() => onExport('csv')}>
        Export CSV
      </button>
      <button type="button" class="secondary" data-testid={`export-${table}-json`} disabled={busy} onClick={() => onExport('json')}>
        Export JSON
      </button>
      <span class="export-saved" role="status" aria-live="polite">
        {notice?.kind === 'saved' ? `Saved to ${notice.path}` : ''}
      </span>
      {notice?.kind === 'error' && (
        <span class="error" role="alert">
          {notice.message}
        </span>
      )}
    </div>
  );
}
