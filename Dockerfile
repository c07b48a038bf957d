# The tfx-multimodal image for Kubeflow: TFX 1.16's image plus this package, its locked
# dependencies and its schemas, at /tfx-multimodal (the path the compiled spec uses).
#   docker build -t REGISTRY/tfx-multimodal:TAG .
#   docker push REGISTRY/tfx-multimodal:TAG
#   .venv/bin/python pipeline_runner.py compile --target kubeflow --image REGISTRY/tfx-multimodal:TAG
FROM gcr.io/tfx-oss-public/tfx:1.16.0

WORKDIR /tfx-multimodal
COPY requirements.lock requirements.in setup.py pipeline_runner.py README.md ./
RUN python -m pip install --no-cache-dir --no-deps -r requirements.lock
COPY pipeline/ pipeline/
COPY components/ components/
COPY schemas/ schemas/
RUN python -m pip install --no-cache-dir --no-deps -e . \
    && python -c "import components.trainer.run, components.transform.preprocessing"
