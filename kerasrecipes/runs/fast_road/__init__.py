"""The fast road: whole epochs compiled into one TensorFlow call (`engine`) and the trace cache that lets
every run of the same graph in a process use one trace (`_traces`)."""
