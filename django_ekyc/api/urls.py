from rest_framework.routers import SimpleRouter

from django_ekyc.api.views import KycTransactionViewSet

router = SimpleRouter()
router.register("transactions", KycTransactionViewSet, basename="transaction")
urlpatterns = router.urls
