package decks

import (
	"strings"
	"testing"
)

// extraDeckID is the second built-in deck, "containers beyond the chapter".
const extraDeckID = "aws-dva-c02-containers-extra"

// extraCorrect is the intended correct option (0 = A) of every scenario card
// in the extra deck, by key. The positions are spread evenly over A-D.
var extraCorrect = map[string]int{
	"scn-private-pull-endpoints": 0, // ecr.api + ecr.dkr + S3 gateway endpoint
	"scn-public-subnet-no-ip":    2, // assignPublicIp ENABLED
	"scn-logs-endpoint":          1, // CloudWatch Logs interface endpoint
	"scn-dynamic-ports":          3, // hostPort 0 with an instance target group
	"scn-awsvpc-target-type":     3, // ip
	"scn-spot-base":              0, // FARGATE base 2 weight 1, FARGATE_SPOT weight 3
	"scn-circuit-breaker":        2, // deployment circuit breaker with rollback
	"scn-alarm-rollback":         1, // CloudWatch alarm in the deployment configuration
	"scn-native-blue-green":      0, // ECS controller, blue/green strategy
	"scn-canary":                 3, // canary 10% for 15 minutes
	"scn-pipeline-image-file":    1, // imagedefinitions.json
	"scn-force-new-deployment":   2, // update-service --force-new-deployment
	"scn-exec-permissions":       2, // ssmmessages actions on the task role
	"scn-secret-cmk":             0, // kms:Decrypt on the task execution role
	"scn-depends-on":             3, // SUCCESS
	"scn-pull-through-cache":     1, // pull through cache rule
	"scn-service-connect":        1, // Service Connect
	"scn-scheduled-task":         3, // EventBridge Scheduler
	"scn-batch":                  0, // AWS Batch on Fargate
	"scn-ephemeral-storage":      2, // ephemeralStorage
}

// TestBuiltinExtra checks the extra built-in deck: its card counts by kind
// and type, that every scenario has exactly the intended correct option and
// four options, that correct options are spread evenly over the positions,
// and that every note cites a source in an HTML comment that no learner sees.
func TestBuiltinExtra(t *testing.T) {
	deck := builtinDeck(t, extraDeckID)

	kinds := map[Kind]int{}
	types := map[Type]int{}
	for _, c := range deck.Cards {
		kinds[c.Kind]++
		types[c.Type]++
		if !c.Explicit {
			t.Errorf("%s:%d: built-in cards need an explicit {#key}", deck.File, c.Line)
		}
	}
	wantKinds := map[Kind]int{KindTakeaway: 48, KindTrap: 12, KindScenario: 20}
	wantTypes := map[Type]int{TypeBasic: 39, TypeCloze: 21, TypeChoice: 20}
	for k, n := range wantKinds {
		if kinds[k] != n {
			t.Errorf("%d %s cards, want %d", kinds[k], k, n)
		}
	}
	for ty, n := range wantTypes {
		if types[ty] != n {
			t.Errorf("%d %s cards, want %d", types[ty], ty, n)
		}
	}
	if kinds[KindTopic] != 0 {
		t.Errorf("%d topic cards: every card belongs to Key takeaways, Traps or Scenarios", kinds[KindTopic])
	}

	// Every scenario has four options and exactly the intended right one.
	var positions [4]int
	seen := map[string]bool{}
	for _, c := range deck.Cards {
		if c.Type != TypeChoice {
			continue
		}
		seen[c.Key] = true
		want, ok := extraCorrect[c.Key]
		if !ok {
			t.Errorf("%s:%d: scenario %s has no intended answer in extraCorrect", deck.File, c.Line, c.Key)
			continue
		}
		if len(c.Options) != 4 {
			t.Errorf("%s:%d: %s has %d options, want 4", deck.File, c.Line, c.Key, len(c.Options))
			continue
		}
		var right []int
		for i, o := range c.Options {
			if o.Correct {
				right = append(right, i)
			}
		}
		if len(right) != 1 || right[0] != want {
			t.Errorf("%s:%d: %s has correct options %v, want only %c", deck.File, c.Line, c.Key, right, 'A'+want)
			continue
		}
		positions[want]++
	}
	for key := range extraCorrect {
		if !seen[key] {
			t.Errorf("scenario %s is listed in extraCorrect but not in the deck", key)
		}
	}
	for p, n := range positions {
		if n != kinds[KindScenario]/4 {
			t.Errorf("correct option is %c in %d scenarios, want %d (positions %v)", 'A'+p, n, kinds[KindScenario]/4, positions)
		}
	}

	// Each note names its source in a comment; no comment reaches a learner.
	cited := map[string]bool{}
	for _, c := range deck.Cards {
		if !cited[c.NoteKey] {
			cited[c.NoteKey] = true
			if !strings.Contains(c.Back, "<!-- source: https://") {
				t.Errorf("%s:%d: %s cites no source (<!-- source: URL -->)", deck.File, c.Line, c.NoteKey)
			}
		}
		shown := []string{c.FrontHTML, c.BackHTML, c.ClozeHTML}
		for _, o := range c.Options {
			shown = append(shown, o.HTML)
		}
		for _, h := range shown {
			if strings.Contains(h, "<!--") || strings.Contains(h, "source:") {
				t.Errorf("%s:%d: %s shows its source comment to the learner: %q", deck.File, c.Line, c.Key, h)
			}
		}
	}
}
