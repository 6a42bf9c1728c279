import { readFile } from 'node:fs/promises';
import type { SqlJsStatic } from 'sql.js';
import { ClaudeManagerError } from '../errors';

/**
 * Loads the sql.js WASM engine from an explicit file. The build copies `sql-wasm.wasm` beside
 * the bundle, so the path is resolved from the extension's install folder at run time rather than
 * from node_modules, which a packaged extension does not have. This module is the only importer
 * of sql.js.
 */
export async function loadSqlJs(wasmPath: string): Promise<SqlJsStatic> {
  let wasmBinary: Uint8Array;
  try {
    wasmBinary = await readFile(wasmPath);
  } catch (error) {
    throw new ClaudeManagerError(
      'STORAGE_FAILED',
      `The SQLite engine (${wasmPath}) could not be read: ${(error as Error).message}. Reinstall the extension.`,
      { cause: error },
    );
  }
  // sql.js types ask for an ArrayBuffer; hand it exactly the file's bytes.
  const buffer = wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength);
  // Imported on first use, not when the extension loads: evaluating sql.js's glue code would
  // otherwise add to every activation, whether or not anything touches the database yet.
  const { default: initSqlJs } = await import('sql.js');
  return initSqlJs({ wasmBinary: buffer as ArrayBuffer });
}
