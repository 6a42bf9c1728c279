import type * as vscode from 'vscode';
import type * as storageModule from '../services/storage/storageModule';

/** What dist/storage.js exports. */
export type StorageModule = typeof storageModule;

let loaded: StorageModule | undefined;

/**
 * Loads the storage bundle that the build puts beside the extension's (see esbuild.mjs), once.
 * A plain require of a computed path: the bundler leaves it alone, so the storage code stays out
 * of the extension bundle and out of activation.
 */
export function loadStorageModule(extensionUri: vscode.Uri): StorageModule {
  if (!loaded) {
    const path = `${extensionUri.fsPath}/dist/storage.js`;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(path) as StorageModule;
  }
  return loaded;
}
