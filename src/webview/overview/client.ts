import type { OverviewMethods } from '../overviewProtocol';
import { PanelClient } from '../shared/panelClient';

/** The Overview panel's side of overviewProtocol.ts. */
export class OverviewClient<State> extends PanelClient<OverviewMethods, State> {}
