/** The EMA teacher update: teacher <- m * teacher + (1 - m) * student, for same-named parameters. */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from '../../networks/vit3dParams';

export function emaUpdate(teacher: ParamStore, student: ParamStore, momentum: number, prefixes: string[]): void {
  for (const [name, t] of teacher.entries()) {
    if (!prefixes.some((p) => name.startsWith(p))) continue;
    const s = student.get(name);
    tf.tidy(() => t.assign(tf.add(tf.mul(t, momentum), tf.mul(s, 1 - momentum))));
  }
}
