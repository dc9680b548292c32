package srs

import "testing"

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		ok   bool
	}{
		{"default", DefaultSettings(), true},
		{"lowest retention", Settings{0.70, 100}, true},
		{"highest retention", Settings{0.99, 100}, true},
		{"retention too low", Settings{0.69, 100}, false},
		{"retention too high", Settings{1, 100}, false},
		{"no interval", Settings{0.9, 0}, false},
		{"interval too long", Settings{0.9, 36501}, false},
	}
	for _, tt := range tests {
		if err := tt.s.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestParameters(t *testing.T) {
	p := Settings{Retention: 0.85, MaxIntervalDays: 365}.Parameters()
	if p.RequestRetention != 0.85 || p.MaximumInterval != 365 || !p.EnableFuzz {
		t.Errorf("got retention %v max %v fuzz %v", p.RequestRetention, p.MaximumInterval, p.EnableFuzz)
	}
	if len(p.LearningSteps) != 2 || p.LearningSteps[0] != 1 || p.LearningSteps[1] != 10 || len(p.RelearningSteps) != 1 || p.RelearningSteps[0] != 10 {
		t.Errorf("got steps %v / %v", p.LearningSteps, p.RelearningSteps)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
}
