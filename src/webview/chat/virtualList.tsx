import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

/**
 * Rows drawn above and below the visible ones, so that a scroll does not show blank space: half
 * a view's worth of the usual height (a wheel step is ~100 px).
 */
const OVERSCAN_PX = 400;
/** How near the top older rows are asked for: before the margin above runs out. */
const NEAR_TOP_PX = 600;
const ESTIMATE_PX = 80;

export interface VirtualListProps<T> {
  items: readonly T[];
  keyOf: (item: T) => string;
  render: (item: T) => ComponentChildren;
  /** Called when the top comes near (load older rows); rows prepended keep the view where it was. */
  onNearTop?: () => void;
  /** Reports whether the view is at the bottom (to offer "jump to latest"). */
  onAtBottom?: (atBottom: boolean) => void;
  /** Changes when the list should scroll to the bottom (a sent message, "jump to latest"). */
  scrollToBottomToken?: number;
  /** Brings a row into view (a find's match); a new token brings it again. */
  scrollTo?: { key: string; token: number };
  /** The row marked as the current one (the find's match). */
  current?: string;
  label: string;
}

/**
 * A list that keeps only the rows in view (plus a margin) in the DOM, whatever its length: the
 * heights of rows drawn once are measured and kept, the others estimated. It sticks to the bottom
 * while the user is there (new and growing messages stay in view), and keeps the first visible
 * row in place when older rows are added above.
 */
export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, keyOf } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [, redraw] = useState(0);
  const [viewport, setViewport] = useState(() => ({ top: 0, height: typeof window === 'undefined' ? 800 : window.innerHeight }));
  // The first draw is only what is in view (for the window's height, which the list's is within);
  // the margin above and below, and the list's own height, follow a frame after the first paint,
  // so that a long history shows as soon as it can.
  const [margin, setMargin] = useState(0);
  /** Whether the first paint is past (the margin is being drawn). */
  const settled = useRef(false);
  useEffect(() => {
    const frame = requestAnimationFrame(() => {
      settled.current = true;
      setMargin(OVERSCAN_PX);
      const el = scroller.current;
      if (el) setViewport({ top: el.scrollTop, height: el.clientHeight });
    });
    return () => cancelAnimationFrame(frame);
  }, []);
  const stick = useRef(true);
  /** Whether the last draw was of the last rows (the list stuck to the bottom), and their keys. */
  const drewBottom = useRef(true);
  const drawn = useRef<string[]>([]);
  const firstKey = useRef<string | undefined>(undefined);
  const observer = useRef<ResizeObserver | undefined>(undefined);

  const heightOf = (item: T) => heights.current.get(keyOf(item)) ?? ESTIMATE_PX;

  // Offsets of every row (a prefix sum of their heights).
  const offsets: number[] = new Array(items.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < items.length; i++) offsets[i + 1] = offsets[i]! + heightOf(items[i]!);
  const total = offsets[items.length]!;

  // While the list sticks to the bottom, the rows drawn are the last ones (the scroll position
  // follows after the draw): the first draw of a long history draws only those.
  const top = stick.current ? Math.max(0, total - viewport.height) : viewport.top;
  drewBottom.current = stick.current;
  let start = 0;
  while (start < items.length && offsets[start + 1]! < top - margin) start++;
  let end = start;
  while (end < items.length && offsets[end]! < top + viewport.height + margin) end++;
  drawn.current = items.slice(start, end).map(keyOf);

  if (!observer.current && typeof ResizeObserver !== 'undefined') {
    observer.current = new ResizeObserver((entries) => {
      let changed = false;
      for (const entry of entries) {
        const key = (entry.target as HTMLElement).dataset.key;
        const h = Math.ceil((entry.target as HTMLElement).offsetHeight);
        if (key && h > 0 && heights.current.get(key) !== h) {
          heights.current.set(key, h);
          changed = true;
        }
      }
      if (!changed) return;
      // Before the first paint, heights that leave the view filled with the last rows (as drawn)
      // change nothing on screen: they are drawn with the margin, a frame later, so that the first
      // frame draws its rows once.
      if (!settled.current && drewBottom.current && fillsView()) return;
      redraw((n) => n + 1);
    });
  }
  useEffect(() => () => observer.current?.disconnect(), []);

  /** Whether the rows drawn, as measured, are as tall as the list's view at least. */
  const fillsView = () => {
    const el = scroller.current;
    if (!el) return false;
    let sum = 0;
    for (const key of drawn.current) sum += heights.current.get(key) ?? 0;
    return sum >= el.clientHeight;
  };

  const measure = useCallback((el: HTMLElement | null) => {
    if (el) observer.current?.observe(el);
  }, []);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    // The user scrolled away from a row asked for: it is no longer held in view.
    if (pinned.current && pinned.current.top >= 0 && Math.abs(el.scrollTop - pinned.current.top) > 1) pinned.current = undefined;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    // Drawn at the bottom and still there, the rows drawn are the last ones whatever the scroll
    // position: a scroll there (the list's own, to the bottom as rows come) draws nothing again,
    // unless the list grew taller than the rows were drawn for.
    if (!(drewBottom.current && atBottom && el.clientHeight <= viewport.height)) setViewport({ top: el.scrollTop, height: el.clientHeight });
    stick.current = atBottom;
    props.onAtBottom?.(atBottom);
    if (el.scrollTop < NEAR_TOP_PX) props.onNearTop?.();
  };

  // A row asked for (a find's match) is kept a third of the view from the top until the user
  // scrolls: estimated heights above it are fixed up as rows are drawn and measured, and older
  // rows may still be loading.
  const target = props.scrollTo;
  const pinned = useRef<{ key: string; top: number } | undefined>(undefined);
  useLayoutEffect(() => {
    pinned.current = target ? { key: target.key, top: -1 } : undefined;
  }, [target?.token]);
  useLayoutEffect(() => {
    const el = scroller.current;
    const pin = pinned.current;
    if (!el || !pin) return;
    const index = items.findIndex((i) => keyOf(i) === pin.key);
    if (index < 0) return;
    // (Clamped as the browser clamps it: a row near the end cannot come a third of the way down.)
    const top = Math.min(Math.max(0, offsets[index]! - el.clientHeight / 3), Math.max(0, el.scrollHeight - el.clientHeight));
    if (Math.abs(el.scrollTop - top) > 1) {
      stick.current = false;
      el.scrollTop = top;
      if (el.scrollTop !== viewport.top || el.clientHeight !== viewport.height) setViewport({ top: el.scrollTop, height: el.clientHeight });
    }
    pin.top = el.scrollTop;
  });

  // Rows added above: keep the row that was first where it was.
  useLayoutEffect(() => {
    const el = scroller.current;
    const key = items[0] ? keyOf(items[0]) : undefined;
    const previous = firstKey.current;
    firstKey.current = key;
    if (!el || !previous || previous === key || stick.current || pinned.current) return;
    const index = items.findIndex((i) => keyOf(i) === previous);
    if (index > 0) el.scrollTop += offsets[index]!;
  });

  // At the bottom, stay there as rows come and grow.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  });

  useEffect(() => {
    const el = scroller.current;
    if (!el || props.scrollToBottomToken === undefined) return;
    pinned.current = undefined;
    stick.current = true;
    el.scrollTop = el.scrollHeight;
  }, [props.scrollToBottomToken]);

  return (
    <div class="virtual-list" ref={scroller} onScroll={onScroll} role="log" aria-label={props.label} aria-live="polite" tabIndex={0}>
      <div style={{ height: `${offsets[start]}px` }} aria-hidden="true" />
      {items.slice(start, end).map((item) => (
        <div key={keyOf(item)} data-key={keyOf(item)} ref={measure} class={keyOf(item) === props.current ? 'row current' : 'row'} aria-current={keyOf(item) === props.current ? 'true' : undefined}>
          {props.render(item)}
        </div>
      ))}
      <div style={{ height: `${total - offsets[end]!}px` }} aria-hidden="true" />
    </div>
  );
}
