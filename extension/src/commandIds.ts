/** Command ids, declared once (package.json contributes the same ids with their titles). */
export const COMMANDS = {
  showComputeStatus: 'medstudio.showComputeStatus',
  restartServer: 'medstudio.restartServer',
  train: 'medstudio.train',
  resume: 'medstudio.resume',
  cancel: 'medstudio.cancel',
  evaluate: 'medstudio.evaluate',
  explain: 'medstudio.explain',
  annotate: 'medstudio.annotate',
  openViewer: 'medstudio.openViewer',
  openDicomFolder: 'medstudio.openDicomFolder',
  generateBoxes: 'medstudio.generateBoxes',
  suggestBoxes: 'medstudio.suggestBoxes',
  openReport: 'medstudio.openReport',
  newExperiment: 'medstudio.newExperiment',
  showTrainingStatus: 'medstudio.showTrainingStatus',
} as const;
