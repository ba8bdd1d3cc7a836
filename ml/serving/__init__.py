"""What the inference worker imports: the Predictor and the pieces of one classification (preprocessing, guard,
heat-map, LiteRT). Nothing here trains."""
