# The tfx-multimodal image for Kubeflow: a Python 3.10 base (TFX 1.16's published image by
# default) plus this package, its locked dependencies and its schemas, at /tfx-multimodal (the
# path the compiled spec uses). scripts/build-image builds it, on a base made locally when no
# registry is reachable. For a cluster:
#   docker build -t REGISTRY/tfx-multimodal:TAG . && docker push REGISTRY/tfx-multimodal:TAG
#   .venv/bin/python pipeline_runner.py compile --target kubeflow --image REGISTRY/tfx-multimodal:TAG
ARG BASE_IMAGE=gcr.io/tfx-oss-public/tfx:1.16.0
FROM ${BASE_IMAGE}

WORKDIR /tfx-multimodal
# the locked dependencies first: this layer is rebuilt only when the base or the lock change
COPY requirements.lock ./
RUN python -m pip install --no-cache-dir --disable-pip-version-check \
        $(grep -E '^(pip|setuptools|wheel)==' requirements.lock) \
    && python -m pip install --no-cache-dir --disable-pip-version-check --no-deps -r requirements.lock
COPY requirements.in setup.py pipeline_runner.py ./
COPY pipeline/ pipeline/
COPY components/ components/
COPY schemas/ schemas/
RUN python -m pip install --no-cache-dir --disable-pip-version-check --no-deps --no-build-isolation -e . \
    && python -c "import components.trainer.run, components.transform.preprocessing, pipeline.trivial_baselines"
