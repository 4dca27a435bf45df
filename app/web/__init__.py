"""The app's web pages: the questionnaire (and later the atlas), built by esbuild into dist/."""
