import { render } from 'preact';
import { App } from './app';
import { Boot } from './boot';

// The conversation is in the page: the first render draws it, with no round trip to the host.
const boot = new Boot();
const root = document.getElementById('root');
boot.timeFirstPaint();
if (root) render(<App boot={boot} />, root);
