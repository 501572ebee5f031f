import { useLayoutEffect, useState, type RefObject } from 'react';

/** The nearest ancestor that scrolls vertically; undefined when the document itself scrolls. */
function scrollParent(element: HTMLElement): HTMLElement | undefined {
  for (let node = element.parentElement; node; node = node.parentElement) {
    const { overflowY } = window.getComputedStyle(node);
    if (
      (overflowY === 'auto' || overflowY === 'scroll') &&
      node !== document.body &&
      node !== document.documentElement
    ) {
      return node;
    }
  }
  return undefined;
}

/**
 * The height from the element's top to the bottom of the area that scrolls it (the page, or
 * Backstage's page container), less `gap`, never below `min`: the height that fills what the page
 * has left when it is scrolled to the top. Measured again when the window, the scrolling area or
 * the element's parent (content above it appearing or going) change size.
 *
 * @internal
 */
export function useAvailableHeight(
  ref: RefObject<HTMLElement>,
  options: { min: number; gap: number },
): number {
  const { min, gap } = options;
  const [height, setHeight] = useState(min);

  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) {
      return undefined;
    }
    const scroller = scrollParent(element);
    const measure = () => {
      const top = element.getBoundingClientRect().top;
      const available = scroller
        ? scroller.clientHeight -
          (top - scroller.getBoundingClientRect().top + scroller.scrollTop)
        : window.innerHeight - (top + window.scrollY);
      setHeight(Math.max(min, Math.floor(available - gap)));
    };
    measure();
    window.addEventListener('resize', measure);
    const observer =
      typeof ResizeObserver === 'undefined'
        ? undefined
        : new ResizeObserver(measure);
    if (scroller) {
      observer?.observe(scroller);
    }
    if (element.parentElement) {
      observer?.observe(element.parentElement);
    }
    return () => {
      window.removeEventListener('resize', measure);
      observer?.disconnect();
    };
  }, [ref, min, gap]);

  return height;
}
