/**
 * The annotator's keyboard map. Ctrl/Cmd combinations are left alone: VS Code owns undo, redo
 * and save for a custom editor and runs them on its own edit stack.
 */
export type KeyAction =
  | { do: 'delete' }
  | { do: 'category'; index: number }
  | { do: 'image'; step: 1 | -1 }
  | { do: 'zoom'; factor: number }
  | { do: 'fit' }
  | { do: 'pan'; dx: number; dy: number }
  | { do: 'deselect' }
  | { do: 'cycle' }
  | { do: 'accept'; all: boolean }
  | { do: 'reject'; all: boolean }
  | { do: 'suggest' }
  | { do: 'reviewed' }
  | { do: 'keep' }
  | { do: 'relabel' }
  | { do: 'exclude' }
  | { do: 'nextSuspect' };

export function keyAction(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }): KeyAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const k = e.key;
  if (/^[1-9]$/.test(k)) return { do: 'category', index: Number(k) - 1 };
  switch (k) {
    case 'Delete':
    case 'Backspace':
      return { do: 'delete' };
    case 'n':
    case 'PageDown':
      return { do: 'image', step: 1 };
    case 'p':
    case 'PageUp':
      return { do: 'image', step: -1 };
    case '+':
    case '=':
      return { do: 'zoom', factor: 1.25 };
    case '-':
      return { do: 'zoom', factor: 0.8 };
    case '0':
      return { do: 'fit' };
    case 'ArrowLeft':
      return { do: 'pan', dx: 40, dy: 0 };
    case 'ArrowRight':
      return { do: 'pan', dx: -40, dy: 0 };
    case 'ArrowUp':
      return { do: 'pan', dx: 0, dy: 40 };
    case 'ArrowDown':
      return { do: 'pan', dx: 0, dy: -40 };
    case 'Escape':
      return { do: 'deselect' };
    case 'Tab':
      return { do: 'cycle' };
    case 'a':
    case 'A':
      return { do: 'accept', all: e.shiftKey };
    case 'r':
    case 'R':
      return { do: 'reject', all: e.shiftKey };
    case 's':
      return { do: 'suggest' };
    case 'v':
      return { do: 'reviewed' };
    case 'k':
      return { do: 'keep' };
    case 'c':
      return { do: 'relabel' };
    case 'x':
      return { do: 'exclude' };
    case 'j':
      return { do: 'nextSuspect' };
    default:
      return null;
  }
}

export const HELP =
  'drag: draw · drag box/handle: move/resize · Del: delete · 1-9: class · n/p: image · wheel, +/-, 0: zoom · middle/right drag, arrows: pan · a/A r/R: accept/reject suggestion(s) · s: suggest · v: reviewed';
