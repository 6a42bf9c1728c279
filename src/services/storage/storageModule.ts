/**
 * The storage code the extension loads on first use, bundled apart from the extension's own
 * bundle (dist/storage.js) so that none of it is parsed or evaluated during activation.
 */
export { importDatabase } from './importer';
export { loadSqlJs } from './sqlJs';
export { Store } from './store';
