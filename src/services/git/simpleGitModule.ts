// simple-git, for the extension's lazily loaded bundle (src/extension/lazy.ts): only src/services/git
// imports it.
export { simpleGit } from 'simple-git';
