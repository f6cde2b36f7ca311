// Command podsecurity evaluates the pod templates of Kubernetes objects against a Pod Security Standards level
// with the evaluator the API server's PodSecurity admission uses (k8s.io/pod-security-admission/policy), so the
// check is Kubernetes' own code rather than a re-implementation of the standard.
//
// Input: a JSON array of objects on stdin (what `kustomize build` rendered, converted to JSON by the caller).
// Output: one JSON object per pod template on stdout:
//
//	{"kind": "Deployment", "name": "intake", "allowed": false, "reasons": ["..."], "details": ["..."]}
//
// Objects that hold no pod template are skipped. Exit status 0 when every pod template is allowed, 1 when one is
// not, 2 on bad input.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type verdict struct {
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Allowed bool     `json:"allowed"`
	Reasons []string `json:"reasons"`
	Details []string `json:"details"`
}

type header struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// podTemplate returns the pod metadata and spec an object would create, or ok=false when it creates no pods.
func podTemplate(kind string, raw json.RawMessage) (*metav1.ObjectMeta, *corev1.PodSpec, bool, error) {
	switch kind {
	case "Pod":
		var pod corev1.Pod
		if err := json.Unmarshal(raw, &pod); err != nil {
			return nil, nil, false, err
		}
		return &pod.ObjectMeta, &pod.Spec, true, nil
	case "Deployment":
		var deployment appsv1.Deployment
		if err := json.Unmarshal(raw, &deployment); err != nil {
			return nil, nil, false, err
		}
		return &deployment.Spec.Template.ObjectMeta, &deployment.Spec.Template.Spec, true, nil
	case "StatefulSet":
		var set appsv1.StatefulSet
		if err := json.Unmarshal(raw, &set); err != nil {
			return nil, nil, false, err
		}
		return &set.Spec.Template.ObjectMeta, &set.Spec.Template.Spec, true, nil
	case "DaemonSet":
		var set appsv1.DaemonSet
		if err := json.Unmarshal(raw, &set); err != nil {
			return nil, nil, false, err
		}
		return &set.Spec.Template.ObjectMeta, &set.Spec.Template.Spec, true, nil
	case "ReplicaSet":
		var set appsv1.ReplicaSet
		if err := json.Unmarshal(raw, &set); err != nil {
			return nil, nil, false, err
		}
		return &set.Spec.Template.ObjectMeta, &set.Spec.Template.Spec, true, nil
	case "Job":
		var job batchv1.Job
		if err := json.Unmarshal(raw, &job); err != nil {
			return nil, nil, false, err
		}
		return &job.Spec.Template.ObjectMeta, &job.Spec.Template.Spec, true, nil
	case "CronJob":
		var cronJob batchv1.CronJob
		if err := json.Unmarshal(raw, &cronJob); err != nil {
			return nil, nil, false, err
		}
		template := cronJob.Spec.JobTemplate.Spec.Template
		return &template.ObjectMeta, &template.Spec, true, nil
	}
	return nil, nil, false, nil
}

func main() {
	levelName := flag.String("level", "restricted", "Pod Security Standards level: baseline or restricted")
	versionName := flag.String("version", "latest", "the standard's version, e.g. latest or v1.37")
	flag.Parse()

	level, err := api.ParseLevel(*levelName)
	if err != nil {
		fmt.Fprintln(os.Stderr, "podsecurity: level:", err)
		os.Exit(2)
	}
	version, err := api.ParseVersion(*versionName)
	if err != nil {
		fmt.Fprintln(os.Stderr, "podsecurity: version:", err)
		os.Exit(2)
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "podsecurity:", err)
		os.Exit(2)
	}

	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "podsecurity: reading stdin:", err)
		os.Exit(2)
	}
	var objects []json.RawMessage
	if err := json.Unmarshal(input, &objects); err != nil {
		fmt.Fprintln(os.Stderr, "podsecurity: stdin is not a JSON array of objects:", err)
		os.Exit(2)
	}

	output := json.NewEncoder(os.Stdout)
	allAllowed := true
	for _, raw := range objects {
		var object header
		if err := json.Unmarshal(raw, &object); err != nil {
			fmt.Fprintln(os.Stderr, "podsecurity:", err)
			os.Exit(2)
		}
		metadata, spec, ok, err := podTemplate(object.Kind, raw)
		if err != nil {
			fmt.Fprintf(os.Stderr, "podsecurity: %s %s: %v\n", object.Kind, object.Metadata.Name, err)
			os.Exit(2)
		}
		if !ok {
			continue
		}
		result := policy.AggregateCheckResults(
			evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: version}, metadata, spec),
		)
		allAllowed = allAllowed && result.Allowed
		reasons, details := result.ForbiddenReasons, result.ForbiddenDetails
		if reasons == nil {
			reasons, details = []string{}, []string{}
		}
		if err := output.Encode(verdict{object.Kind, object.Metadata.Name, result.Allowed, reasons, details}); err != nil {
			fmt.Fprintln(os.Stderr, "podsecurity:", err)
			os.Exit(2)
		}
	}
	if !allAllowed {
		os.Exit(1)
	}
}
