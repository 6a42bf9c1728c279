/**
 * The last wall between agent output and the DOM: DOMPurify over the HTML that the Markdown
 * renderer (and the highlighter, inside its code blocks) wrote, keeping only what they write.
 * The renderer is inert by construction (it escapes every character of the source); this checks
 * it with a maintained sanitiser, so that a mistake in the renderer still makes nothing that runs.
 * Behind both is the page's CSP (scripts only with its nonce, no inline handlers).
 */
import DOMPurify, { type Config } from 'dompurify';

/** The tags the renderer writes (markdown/), and the highlighter's spans. */
const TAGS = ['a', 'blockquote', 'br', 'button', 'code', 'del', 'div', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'input', 'li', 'ol', 'p', 'pre', 'span', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul'];
/** Their attributes: links' targets and titles, table alignment, list starts, task boxes, the Copy button. No `style`, no handlers. */
const ATTRIBUTES = ['align', 'aria-label', 'checked', 'class', 'data-copy', 'disabled', 'href', 'start', 'title', 'type'];

const CONFIG: Config = {
  ALLOWED_TAGS: TAGS,
  ALLOWED_ATTR: ATTRIBUTES,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  // DOMPurify checks every attribute it does not know to hold no address against the pattern
  // below: these hold none. (`class` and `title` it knows.)
  ADD_URI_SAFE_ATTR: ['align', 'aria-label', 'checked', 'data-copy', 'disabled', 'start', 'type'],
  // A link's target: only the ones the renderer keeps (javascript:, data:, vbscript:, a relative one, all go).
  ALLOWED_URI_REGEXP: /^(?:https?|mailto):/i,
  ALLOW_UNKNOWN_PROTOCOLS: false,
};

let purify: typeof DOMPurify | undefined;

function instance(): typeof DOMPurify {
  if (purify) return purify;
  // The module's own instance is bound to the window it found when loaded; under Node (tests) the
  // window may come later. Without a DOM DOMPurify hands its input back unchanged: refuse instead.
  const made = DOMPurify.isSupported ? DOMPurify : typeof window === 'undefined' ? undefined : DOMPurify(window);
  if (!made?.isSupported) throw new Error('Cannot sanitise the chat\'s HTML: no DOM to parse it with.');
  made.addHook('afterSanitizeAttributes', (node) => {
    // The renderer's only input is a task's box, and its only button is Copy: neither can do more.
    if (node.nodeName === 'INPUT') {
      node.setAttribute('type', 'checkbox');
      node.setAttribute('disabled', '');
    } else if (node.nodeName === 'BUTTON') node.setAttribute('type', 'button');
  });
  // Set once: a configuration given with each call is parsed again each time (a fifth of the time
  // a short message took).
  made.setConfig(CONFIG);
  purify = made;
  return made;
}

/** `html` with only the renderer's tags and attributes, and links only to http(s) and mailto. */
export function sanitizeHtml(html: string): string {
  return instance().sanitize(html);
}
