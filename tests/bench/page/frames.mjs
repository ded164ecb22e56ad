// The frames every scenario sends, shared by the server (Node) and the pages:
// the first characters name the source and number the frame, so receivers can
// check order and completeness for the cost of one slice.

// "<prefix><8-digit seq>" padded with dots to `size` bytes.
export function frame(seq, size, prefix = '') {
  const head = prefix + String(seq).padStart(8, '0');
  return head + '.'.repeat(Math.max(0, size - head.length));
}

// The frame number of a frame made with an empty prefix.
export const seqOf = (text) => +text.slice(0, 8);
