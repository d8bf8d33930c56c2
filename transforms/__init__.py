"""Pure polars transforms: DataFrame in, DataFrame out. No Prefect, no I/O."""
