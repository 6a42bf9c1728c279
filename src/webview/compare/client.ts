import type { CompareMethods } from '../compareProtocol';
import { PanelClient } from '../shared/panelClient';

/** The Compare panel's side of compareProtocol.ts. */
export class CompareClient<State> extends PanelClient<CompareMethods, State> {}
