export * from './figure';
export * from './lossFigure';
export * from './movingAverage';
export * from './vegaLiteSpec';
export * from './figureToSvg';
export * from './showFigure';
export * from './notebookDisplay';
