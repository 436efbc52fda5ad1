{{/* Names and labels */}}
{{- define "dlp2c.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "dlp2c.labels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/component: {{ .name }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "dlp2c.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "dlp2c.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "dlp2c.secretName" -}}
{{ include "dlp2c.fullname" . }}-credentials
{{- end -}}

{{/* Where the infrastructure is: the bundled services of this release, or external endpoints */}}
{{- define "dlp2c.kafka" -}}
{{- if .Values.kafka.bundled -}}{{ include "dlp2c.fullname" . }}-kafka:9092{{- else -}}{{ .Values.kafka.bootstrap }}{{- end -}}
{{- end -}}
{{- define "dlp2c.minio" -}}
{{- if .Values.minio.bundled -}}{{ include "dlp2c.fullname" . }}-minio:9000{{- else -}}{{ .Values.minio.endpoint }}{{- end -}}
{{- end -}}
{{- define "dlp2c.pgHost" -}}
{{- if .Values.postgresql.bundled -}}{{ include "dlp2c.fullname" . }}-postgresql{{- else -}}{{ .Values.postgresql.host }}{{- end -}}
{{- end -}}

{{/* The environment every service reads (credentials from Secrets, never from values in the pod spec) */}}
{{- define "dlp2c.env" -}}
- name: DLP2C_BUS_URL
  value: {{ printf "kafka://%s" (include "dlp2c.kafka" .) | quote }}
- name: DLP2C_STORAGE_URL
  value: {{ printf "s3://%s" .Values.minio.bucket | quote }}
- name: DLP2C_S3_ENDPOINT
  value: {{ include "dlp2c.minio" . | quote }}
- name: DLP2C_S3_SECURE
  value: {{ .Values.minio.secure | quote }}
- name: DLP2C_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.minio.existingSecret | default (include "dlp2c.secretName" .) }}
      key: {{ .Values.minio.accessKeyKey }}
- name: DLP2C_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.minio.existingSecret | default (include "dlp2c.secretName" .) }}
      key: {{ .Values.minio.secretKeyKey }}
- name: DLP2C_PG_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.postgresql.existingSecret | default (include "dlp2c.secretName" .) }}
      key: {{ .Values.postgresql.passwordKey }}
- name: DLP2C_DB_URL
  value: {{ printf "postgresql://%s:$(DLP2C_PG_PASSWORD)@%s:%v/%s" .Values.postgresql.user (include "dlp2c.pgHost" .) .Values.postgresql.port .Values.postgresql.database | quote }}
- name: DLP2C_KAFKA_PARTITIONS
  value: {{ .Values.config.kafkaPartitions | quote }}
- name: DLP2C_MAX_ATTEMPTS
  value: {{ .Values.config.maxAttempts | quote }}
- name: DLP2C_VERIFY_CODE
  value: {{ .Values.config.verifyCode | quote }}
- name: DLP2C_ONNX_MAX_PARAMS
  value: {{ .Values.config.onnxMaxParams | int64 | quote }}
- name: LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
{{- end -}}

{{- define "dlp2c.tmp" -}}
- name: tmp
  emptyDir: {}
{{- end -}}

{{/* A pipeline stage: the Kafka worker and its gRPC service in one container, probed over gRPC health */}}
{{- define "dlp2c.stage" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $v := index $root.Values $name -}}
{{- $gpu := and (eq $name "classifier") $root.Values.classifier.gpu.enabled -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "dlp2c.fullname" $root }}-{{ $name }}
  labels:
    {{- include "dlp2c.labels" . | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "dlp2c.selector" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "dlp2c.selector" . | nindent 8 }}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9102"
    spec:
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: 60
      containers:
        - name: {{ $name }}
          {{- if $gpu }}
          image: "{{ $root.Values.classifier.gpu.image.repository }}:{{ $root.Values.classifier.gpu.image.tag | default $root.Chart.AppVersion }}"
          {{- else }}
          image: {{ include "dlp2c.image" $root | quote }}
          {{- end }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: ["worker", {{ $name | quote }}, "--grpc-port", "50061", "--metrics-port", "9102"]
          env:
            {{- include "dlp2c.env" $root | nindent 12 }}
          ports:
            - {name: grpc, containerPort: 50061, protocol: TCP}
            - {name: metrics, containerPort: 9102, protocol: TCP}
          startupProbe:
            grpc: {port: 50061}
            periodSeconds: 5
            failureThreshold: 60
          livenessProbe:
            grpc: {port: 50061}
            periodSeconds: 20
            failureThreshold: 3
          readinessProbe:
            grpc: {port: 50061}
            periodSeconds: 10
          resources:
            {{- $resources := deepCopy $v.resources }}
            {{- if $gpu }}
            {{- $_ := set $resources.limits "nvidia.com/gpu" $root.Values.classifier.gpu.count }}
            {{- end }}
            {{- toYaml $resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - {name: tmp, mountPath: /tmp}
      volumes:
        {{- include "dlp2c.tmp" . | nindent 8 }}
      {{- $selector := $v.nodeSelector }}
      {{- if $gpu }}{{- $selector = merge (deepCopy $v.nodeSelector) $root.Values.classifier.gpu.nodeSelector }}{{- end }}
      {{- with $selector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- $tolerations := $v.tolerations }}
      {{- if $gpu }}{{- $tolerations = concat $v.tolerations $root.Values.classifier.gpu.tolerations }}{{- end }}
      {{- with $tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{- define "dlp2c.grpcService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "dlp2c.fullname" .root }}-{{ .name }}
  labels:
    {{- include "dlp2c.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "dlp2c.selector" . | nindent 4 }}
  ports:
    - {name: grpc, port: 50061, targetPort: grpc, protocol: TCP, appProtocol: grpc}
    - {name: metrics, port: 9102, targetPort: metrics, protocol: TCP}
{{- end -}}

{{/* CPU, and consumer lag when lagTarget is set */}}
{{- define "dlp2c.hpa" -}}
{{- $v := index .root.Values .name -}}
{{- if $v.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "dlp2c.fullname" .root }}-{{ .name }}
  labels:
    {{- include "dlp2c.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "dlp2c.fullname" .root }}-{{ .name }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $v.autoscaling.targetCPUUtilizationPercentage }}
    {{- if $v.autoscaling.lagTarget }}
    - type: External
      external:
        metric:
          name: dlp2c_consumer_lag
          selector:
            matchLabels:
              consumergroup: {{ printf "dlp2c-%s" .name }}
        target:
          type: AverageValue
          averageValue: {{ $v.autoscaling.lagTarget | quote }}
    {{- end }}
{{- end }}
{{- end -}}

{{- define "dlp2c.pdb" -}}
{{- $v := index .root.Values .name -}}
{{- if $v.pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "dlp2c.fullname" .root }}-{{ .name }}
  labels:
    {{- include "dlp2c.labels" . | nindent 4 }}
spec:
  {{- if hasKey $v.pdb "minAvailable" }}
  minAvailable: {{ $v.pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $v.pdb.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "dlp2c.selector" . | nindent 6 }}
{{- end }}
{{- end -}}
