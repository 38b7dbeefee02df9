import * as tfl from '@tensorflow/tfjs-layers';

/**
 * Hands out kernel initializers with the Keras defaults (Glorot uniform for Conv2D and Dense,
 * `keras/src/layers/convolutional/base_conv.py`), each with its own seed `seed + n` for the n-th
 * request, so one seed always gives the same weights while no two layers of equal shape get equal
 * kernels. Without a seed the initializers draw from `Math.random`.
 *
 * @example
 * const init = new SeededInitializers(42);
 * tf.layers.conv2d({ filters: 8, kernelSize: 3, kernelInitializer: init.kernel() });
 */
export class SeededInitializers {
  private next = 0;

  constructor(private readonly seed: number | undefined) {}

  /** A fresh Glorot-uniform initializer (limit √(6/(fan_in+fan_out)), Glorot & Bengio 2010). */
  kernel(): ReturnType<typeof tfl.initializers.glorotUniform> {
    const seed = this.nextSeed();
    return seed === undefined ? tfl.initializers.glorotUniform({}) : tfl.initializers.glorotUniform({ seed });
  }

  private nextSeed(): number | undefined {
    if (this.seed === undefined) return undefined;
    return this.seed + this.next++;
  }
}
