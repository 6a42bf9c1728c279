/**
 * Puts the cursor in the composer whenever the chat's page has the focus with nothing in it
 * focused: as the chat opens with the focus (New Agent…, Open Chat), and each time the editor
 * gives the chat the focus again (its tab clicked, a keybinding). An element the user focused
 * (the find bar, a button) keeps it: the page's document remembers it while the page is away.
 * Returns what stops it.
 */
export function focusWhenShown(target: () => HTMLElement | null | undefined, win: Window = window): () => void {
  const doc = win.document;
  const take = () => {
    const active = doc.activeElement;
    if (active && active !== doc.body && active !== doc.documentElement) return;
    target()?.focus();
  };
  if (doc.hasFocus()) take();
  // Only the page's own focus: an element's focus event reaches the window in its capture phase only.
  win.addEventListener('focus', take);
  return () => win.removeEventListener('focus', take);
}
