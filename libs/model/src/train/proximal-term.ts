/**
 * FedProx's proximal term (Li, Sahu, Zaheer, Sanjabi, Talwalkar & Smith, "Federated Optimization in
 * Heterogeneous Networks", MLSys 2020, eq. 2): a site minimises
 *   h(w) = F(w) + μ/2 · ‖w − w_global‖²
 * so its local model stays near the round's global model. The term's gradient is closed-form,
 *   ∇h(w) = ∇F(w) + μ · (w − w_global),
 * so it is added to the data gradients after the backward pass rather than taped (the tape would hold
 * a copy of every weight). The anchor w_global is the value of each trainable variable when the term is
 * made (a site trains from the round's global model); μ = 0 gives FedAvg's local training.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * The proximal term over `variables`, anchored at their current values (kept until {@link dispose}).
 * @example
 * const prox = new ProximalTerm(0.01, variables);    // anchors = the global weights
 * const { value, grads } = tf.variableGrads(loss, variables);
 * optimizer.applyGradients(prox.addGradients(grads)); // grads + μ(w − w_global)
 * prox.dispose();
 */
export class ProximalTerm {
  private readonly anchors: Map<string, tf.Tensor>;
  private readonly byName: Map<string, tf.Variable>;

  constructor(
    readonly mu: number,
    private readonly variables: readonly tf.Variable[],
  ) {
    if (!(Number.isFinite(mu) && mu >= 0))
      throw new Error(`FedProx mu ${mu} is not a finite number ≥ 0 (set strategy.mu in the study spec)`);
    this.anchors = new Map(variables.map((v) => [v.name, tf.keep(tf.clone(v))]));
    this.byName = new Map(variables.map((v) => [v.name, v]));
  }

  /** μ/2 · Σ‖w − w_anchor‖² over the variables, as a scalar tensor (the caller disposes it). */
  value(): tf.Scalar {
    return tf.tidy(() => {
      let sum = tf.scalar(0);
      for (const v of this.variables) sum = tf.add(sum, tf.sum(tf.square(tf.sub(v, this.anchor(v)))));
      return tf.mul(sum, this.mu / 2) as tf.Scalar;
    });
  }

  /**
   * `grads` with μ(w − w_anchor) added to each variable's gradient, as the optimizer takes them; the
   * input gradients are disposed (call inside tf.tidy or dispose the result).
   */
  addGradients(grads: tf.NamedTensorMap): Array<{ name: string; tensor: tf.Tensor }> {
    return Object.entries(grads).map(([name, g]) => {
      const v = this.byName.get(name);
      if (!v || this.mu === 0) return { name, tensor: g };
      const tensor = tf.tidy(() => tf.add(g, tf.mul(tf.sub(v, this.anchor(v)), this.mu)));
      g.dispose();
      return { name, tensor };
    });
  }

  dispose(): void {
    this.anchors.forEach((t) => t.dispose());
    this.anchors.clear();
  }

  private anchor(v: tf.Variable): tf.Tensor {
    const a = this.anchors.get(v.name);
    if (!a) throw new Error(`no FedProx anchor for variable ${v.name}`);
    return a;
  }
}
