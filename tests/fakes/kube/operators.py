"""The simulated operators (--operators): which controllers run, and their admission webhooks.

Dispatches store events to the enabled controllers (trainingoperator.py for TFJob/PyTorchJob,
jobsetcontroller.py for JobSet) and applies their defaulting/validating webhooks on create.
Thread-safe: each controller runs on its own thread.
"""

OPERATORS = ("tfjob", "pytorchjob", "jobset")


class Operators:
    def __init__(self, store, opts):
        import jobsetcontroller
        import trainingoperator
        self.store, self.opts = store, opts
        self.controllers = []
        enabled = getattr(opts, "operators", [])
        if "tfjob" in enabled:
            self.controllers.append(trainingoperator.TrainingController(store, opts, trainingoperator.TFJOB))
        if "pytorchjob" in enabled:
            self.controllers.append(trainingoperator.TrainingController(store, opts, trainingoperator.PYTORCHJOB))
        if "jobset" in enabled:
            self.controllers.append(jobsetcontroller.JobSetController(store, opts))

    def on_event(self, ev):
        for c in self.controllers:
            c.on_event(ev)

    def admit(self, rdef, obj):
        for c in self.controllers:
            c.admit(rdef, obj)

    def start(self):
        for c in self.controllers:
            c.start()

    def stop(self):
        for c in self.controllers:
            c.stop()
