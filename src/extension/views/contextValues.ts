/** contextValue of each tree node kind; package.json `when` clauses match these. */
export const enum ContextValues {
  Repository = 'claudeManager:repository',
}
