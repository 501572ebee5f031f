import { fitTerminal, proposeTerminalSize } from './fitTerminal';

function fakeTerminal(parentSize: { width: number; height: number } | null) {
  const parent = parentSize
    ? ({
        clientWidth: parentSize.width,
        clientHeight: parentSize.height,
      } as HTMLElement)
    : null;
  return {
    element: { parentElement: parent } as HTMLElement,
    cols: 80,
    rows: 24,
    resize: jest.fn(),
  };
}

describe('fitTerminal', () => {
  it('resizes to the proposed size', () => {
    const terminal = fakeTerminal({ width: 800, height: 600 });
    const fitted = fitTerminal(terminal, {
      proposeDimensions: () => ({ cols: 120, rows: 40 }),
    });
    expect(fitted).toBe(true);
    expect(terminal.resize).toHaveBeenCalledWith(120, 40);
  });

  it('keeps a minimum size', () => {
    expect(
      proposeTerminalSize(fakeTerminal({ width: 10, height: 10 }), {
        proposeDimensions: () => ({ cols: 2, rows: 1 }),
      }),
    ).toEqual({ cols: 20, rows: 5 });
  });

  it('does nothing while the container is hidden or unmeasurable', () => {
    const hidden = fakeTerminal({ width: 0, height: 0 });
    expect(
      fitTerminal(hidden, { proposeDimensions: () => ({ cols: 2, rows: 1 }) }),
    ).toBe(false);

    const detached = fakeTerminal(null);
    expect(
      fitTerminal(detached, {
        proposeDimensions: () => ({ cols: 90, rows: 30 }),
      }),
    ).toBe(false);

    const throwing = fakeTerminal({ width: 800, height: 600 });
    expect(
      fitTerminal(throwing, {
        proposeDimensions: () => {
          throw new Error('not rendered');
        },
      }),
    ).toBe(false);

    const nan = fakeTerminal({ width: 800, height: 600 });
    expect(
      fitTerminal(nan, { proposeDimensions: () => ({ cols: NaN, rows: 10 }) }),
    ).toBe(false);
    expect(nan.resize).not.toHaveBeenCalled();
  });

  it('does not resize to the current size', () => {
    const terminal = fakeTerminal({ width: 800, height: 600 });
    fitTerminal(terminal, {
      proposeDimensions: () => ({ cols: 80, rows: 24 }),
    });
    expect(terminal.resize).not.toHaveBeenCalled();
  });
});
