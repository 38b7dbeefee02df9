/**
 * The model card's prose, written for the clinicians who will read it: what the model is for, and
 * the limits they must weigh. Honest about the evidence: demo data is synthetic, the study's figures
 * come from one centre's retrospective cohort, and the output is decision support, not a diagnosis.
 */

export type DataSource = 'phantom' | 'clinical';

/** The study this project starts from (Oncoradiology 34(3):216, 2025), for comparison only. */
export const STUDY_REFERENCE = Object.freeze({
  citation: 'Oncoradiology 34(3):216, 2025',
  design: 'single-centre, retrospective; 324 patients, 126 with ALN metastasis; 8:2 train/test split',
  densenet201_test_auc: 0.861,
  feature_model_auc: 0.805,
  net_benefit_range: Object.freeze([0.1706, 0.6052]) as readonly [number, number],
});

/**
 * Intended use, users and uses outside it.
 *
 * @example intendedUse('densenet201').users // 'Breast radiologists and surgeons …'
 */
export function intendedUse(arch: string): { summary: string; users: string; not_for: string[] } {
  return {
    summary:
      `Estimates the probability that a patient with a primary invasive breast cancer has axillary lymph-node ` +
      `(ALN) metastasis, from one B-mode ultrasound image of the primary tumour (${arch}). It is meant to ` +
      `support pre-operative planning — for example, how strongly to pursue axillary ultrasound, fine-needle ` +
      `aspiration or sentinel-node biopsy — alongside the clinical examination, the radiologist's report and ` +
      `pathology.`,
    users:
      'Breast radiologists and surgeons at the consortium hospitals, interpreting the output together with the full clinical picture.',
    not_for: [
      'Diagnosing or ruling out ALN metastasis on its own: a low probability does not replace axillary staging.',
      'Images of the axilla, of benign or non-invasive lesions, or from patients after neoadjuvant therapy: the model has not been evaluated on them.',
      'Screening populations, children or men: outside the population the model was developed for.',
      'Ultrasound equipment, protocols or hospitals whose cases were not part of the evaluation, until a local evaluation has been done.',
    ],
  };
}

/**
 * The limitations section; the first item depends on where the data came from.
 *
 * @example limitations('phantom', 3)[0] // 'These results come from synthetic …'
 */
export function limitations(source: DataSource, sites: number): string[] {
  const data =
    source === 'phantom'
      ? 'These results come from synthetic (phantom) ultrasound images with simulated labels, generated to ' +
        'exercise the software. They say nothing about performance on patients; do not use this model clinically.'
      : `These results come from the held-out test cases of ${sites} participating hospital${sites === 1 ? '' : 's'}. ` +
        'Performance at another hospital, on other equipment or in another population may be lower; evaluate locally before use.';
  return [
    data,
    `The figures the project starts from (${STUDY_REFERENCE.citation}: DenseNet201 test AUC ` +
      `${STUDY_REFERENCE.densenet201_test_auc}, four-feature model ${STUDY_REFERENCE.feature_model_auc}) are from a ` +
      `${STUDY_REFERENCE.design.split(';')[0]} cohort of 324 patients; they are a reference point, not evidence for this model.`,
    'The model is decision support, not a diagnosis. Its probability is one input to a clinical decision and must be ' +
      'read with the imaging, the clinical findings and, where it matters, pathology.',
    'Test sets are small; the confidence intervals show how uncertain each AUC is. Sites with few positive cases give wide intervals.',
    'Calibration differs between hospitals when the prevalence of ALN metastasis differs; check the calibration table ' +
      'before reading the probability at face value, and prefer the risk-threshold range where the decision curve shows net benefit.',
    'Pooled AUC, ROC and decision curve are computed from score histograms whose every bin holds no case or at least k of ' +
      "a class (the study's privacy rule, k = 5 by default; no patient-level data leaves a hospital); the stated error bounds " +
      'limit how far they can be from the exact pooled values. A site with fewer than k cases of a class reports no AUC. ' +
      'Pooled intervals treat all cases as one sample and ignore differences between hospitals.',
    'The model sees only the image. Prior treatment, palpable nodes, tumour biology and axillary imaging are not part of its input.',
  ];
}
